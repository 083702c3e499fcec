//! A fake Kubernetes API server for tests: real HTTP on 127.0.0.1, objects in memory.
//!
//! It serves what the platform's `kube` client and `kubectl` 1.32 use, so both can be driven
//! against it unchanged:
//!
//! - types: core/v1 `namespaces` (cluster-scoped), `serviceaccounts`, `secrets`, `configmaps`,
//!   `pods` (with `pods/log`), `resourcequotas`, `limitranges`; rbac/v1 `roles`,
//!   `rolebindings`; networking/v1 `networkpolicies`; batch/v1 `jobs`; apps/v1 `deployments`
//!   (with `deployments/scale`); `status` subresources where the real types have them;
//! - discovery (`/api`, `/apis`, the resource lists), `/version` and an OpenAPI v3 index good
//!   enough for `kubectl apply` with its default `--validate=strict` (see `discovery`);
//! - create, get, list (one namespace or all), replace, the four patch types (see `patch` for
//!   how strategic merge differs from the real server), delete and delete-collection, with
//!   label and field selectors, `dryRun=All`, `managedFields`, finalizers, and failures as
//!   `Status` objects;
//! - watches with history replay, bookmarks and `410 Expired` after [`FakeKube::compact`];
//! - a Job controller that creates one Pod per new Job. Statuses are set by the test
//!   ([`FakeKube::set_status`]).
//!
//! Not served: authentication (any token is accepted), protobuf, `Table` output (kubectl
//! prints its default columns), pagination (`limit` is ignored and lists are whole),
//! `pods/log?follow` streaming (the current text is returned), server-side apply conflicts
//! (`force` is accepted, no conflict is ever reported), and graceful deletion (objects without
//! finalizers go at once, a namespace with its contents).

mod admission;
mod controller;
mod crud;
mod discovery;
mod patch;
mod resource;
mod routes;
mod selectors;
mod server;
mod status;
mod store;
mod subresource;
mod watch;

pub use server::{FakeKube, Request, TOKEN};
