//! Label changes an agent asks for: `state:*`/`need:*` apply at once; labels that start runs wait
//! for the Owner's decision, which arrives as an engine signal (the MCP tools send the requests
//! and the approval callbacks send the decisions).

mod workflow;

pub use workflow::{
    AgentLabels, AgentLabelsInput, AgentLabelsOutput, OWNER_DECISION, OwnerDecision,
};
