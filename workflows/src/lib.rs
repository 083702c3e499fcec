//! Workflows
