//! Integration tests of the platform: webhook ingress, routing with recorded GitHub payloads,
//! and stage runs against the local fake GitHub, on a real Postgres.
#![allow(unreachable_pub)] // test modules share items with pub; the crate is a test binary

mod agent_label;
mod causes;
mod checkout;
mod crash;
mod docs;
mod environments;
mod executor;
mod health;
mod ingress;
mod isolation;
mod label_semantics;
mod mcp;
mod metrics;
mod outcome;
mod push;
mod replay;
mod review_gate;
mod routing;
mod runner;
mod runs_cli;
mod secret;
mod staff;
mod staff_admin;
mod staff_events;
mod staff_oauth;
mod staff_owner;
mod staff_rbac;
mod staff_replica;
mod staff_schemathesis;
mod stage;
mod startup;
mod support;
mod traces;
mod transition;
