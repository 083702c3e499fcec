//! `runs list`: a page of runs as a table, then the cursor of the next page. Ids are printed
//! whole, so any of them can be pasted into `runs show|follow|cancel|retry`.

use chrono::{DateTime, Utc};

use super::format;
use crate::api::staff::wire;

/// The page as a table (a header and one line per run) and its footer.
pub(super) fn render(page: &wire::RunPage, now: DateTime<Utc>) -> String {
    let rows: Vec<[String; 6]> = page
        .items
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                format::kind(r),
                format::thread(r),
                match &r.wait_state {
                    Some(w) => format!("{} ({w})", r.status),
                    None => r.status.clone(),
                },
                format::time(r.created_at),
                format::took(r, now),
            ]
        })
        .collect();
    let header = ["ID", "KIND/STAGE", "ISSUE", "STATUS", "STARTED", "DURATION"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 6]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(&header);
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no runs)\n");
    }
    match &page.next_cursor {
        Some(cursor) => out.push_str(&format!(
            "next cursor: {cursor} (the next page: the same command with --cursor {cursor})\n"
        )),
        None => out.push_str("(last page)\n"),
    }
    out
}
