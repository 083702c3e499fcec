//! The objects, the global resource version, the event history and the open watches.
//!
//! Every write takes the next resource version, stores the object and appends one event to the
//! history, which is fanned out to every open watch while the lock is held, so a watch that
//! starts under the same lock sees each event exactly once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use super::resource::{self, Resource};

/// `(plural, namespace or "", name)`.
type Key = (&'static str, String, String);

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    Added,
    Modified,
    Deleted,
}

/// One write, as watches see it.
#[derive(Debug)]
pub(super) struct Event {
    pub(super) revision: u64,
    pub(super) change: Change,
    pub(super) resource: &'static Resource,
    /// The object after the write (for a deletion: as it was, with the deletion's version).
    pub(super) object: Value,
    /// The object before a modification, for selector transitions.
    pub(super) old: Option<Value>,
}

/// What an open watch receives.
#[derive(Debug, Clone)]
pub(super) enum Message {
    Event(Arc<Event>),
    /// End the stream abruptly.
    Break,
}

/// The fake's data.
#[derive(Debug)]
pub(super) struct Store {
    objects: BTreeMap<Key, Value>,
    revision: u64,
    /// Watches from a version older than this get 410 Expired.
    compacted: u64,
    history: Vec<Arc<Event>>,
    watches: Vec<mpsc::UnboundedSender<Message>>,
    logs: HashMap<(String, String), String>,
}

impl Default for Store {
    fn default() -> Self {
        let mut store = Self {
            objects: BTreeMap::new(),
            revision: 0,
            compacted: 0,
            history: Vec::new(),
            watches: Vec::new(),
            logs: HashMap::new(),
        };
        let namespaces = &resource::RESOURCES[0];
        for name in ["default", "kube-system", "kube-public"] {
            let object = super::admission::new_namespace(name);
            store.create(namespaces, object);
        }
        store
    }
}

fn key(resource: &'static Resource, namespace: Option<&str>, name: &str) -> Key {
    let namespace = if resource.namespaced {
        namespace.unwrap_or_default()
    } else {
        ""
    };
    (resource.plural, namespace.to_owned(), name.to_owned())
}

fn key_of(resource: &'static Resource, object: &Value) -> Key {
    let meta = &object["metadata"];
    key(
        resource,
        meta["namespace"].as_str(),
        meta["name"].as_str().unwrap_or_default(),
    )
}

impl Store {
    /// The current resource version.
    pub(super) fn revision(&self) -> u64 {
        self.revision
    }

    pub(super) fn get(
        &self,
        resource: &'static Resource,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Value> {
        self.objects.get(&key(resource, namespace, name))
    }

    /// The objects of a type, in one namespace or (with `None`) in all, ordered by namespace and name.
    pub(super) fn list(&self, resource: &'static Resource, namespace: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((plural, ns, _), _)| {
                *plural == resource.plural
                    && (!resource.namespaced || namespace.is_none_or(|wanted| wanted == ns))
            })
            .map(|(_, object)| object.clone())
            .collect()
    }

    /// Whether a namespace exists.
    pub(super) fn has_namespace(&self, namespace: &str) -> bool {
        self.get(&resource::RESOURCES[0], None, namespace).is_some()
    }

    /// Stores a new object under the next resource version; the stored object.
    pub(super) fn create(&mut self, resource: &'static Resource, mut object: Value) -> Value {
        let revision = self.next_revision(&mut object);
        self.objects
            .insert(key_of(resource, &object), object.clone());
        self.emit(revision, Change::Added, resource, object.clone(), None);
        object
    }

    /// Replaces an object under the next resource version; the stored object. An object being
    /// deleted (with `deletionTimestamp`) whose last finalizer is gone is removed instead.
    pub(super) fn update(&mut self, resource: &'static Resource, mut object: Value) -> Value {
        let finalized = !object["metadata"]["deletionTimestamp"].is_null()
            && object["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
        let key = key_of(resource, &object);
        if finalized {
            self.objects.insert(key.clone(), object.clone());
            return self.remove_key(&key, true).unwrap_or(object);
        }
        let revision = self.next_revision(&mut object);
        let old = self.objects.insert(key, object.clone());
        self.emit(revision, Change::Modified, resource, object.clone(), old);
        object
    }

    /// Removes an object now: a namespace with everything in it, and with `cascade` every object
    /// that names it as an owner, recursively. The removed object with its deletion's version.
    pub(super) fn remove(
        &mut self,
        resource: &'static Resource,
        namespace: Option<&str>,
        name: &str,
        cascade: bool,
    ) -> Option<Value> {
        self.remove_key(&key(resource, namespace, name), cascade)
    }

    fn remove_key(&mut self, key: &Key, cascade: bool) -> Option<Value> {
        let mut object = self.objects.remove(key)?;
        let resource = resource::by_plural(key.0).expect("stored types are served");
        let revision = self.next_revision(&mut object);
        self.emit(revision, Change::Deleted, resource, object.clone(), None);
        if resource.plural == "namespaces" {
            let contained: Vec<Key> = self
                .objects
                .keys()
                .filter(|(_, ns, _)| *ns == key.2)
                .cloned()
                .collect();
            for child in contained {
                self.remove_key(&child, false);
            }
            self.logs.retain(|(ns, _), _| *ns != key.2);
        }
        if cascade && let Some(uid) = object["metadata"]["uid"].as_str() {
            let dependents: Vec<Key> = self
                .objects
                .iter()
                .filter(|(_, child)| owned_by(child, uid))
                .map(|(key, _)| key.clone())
                .collect();
            for dependent in dependents {
                self.remove_key(&dependent, true);
            }
        }
        if resource.plural == "pods" {
            self.logs.remove(&(key.1.clone(), key.2.clone()));
        }
        Some(object)
    }

    fn next_revision(&mut self, object: &mut Value) -> u64 {
        self.revision += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.revision.to_string());
        self.revision
    }

    fn emit(
        &mut self,
        revision: u64,
        change: Change,
        resource: &'static Resource,
        object: Value,
        old: Option<Value>,
    ) {
        let event = Arc::new(Event {
            revision,
            change,
            resource,
            object,
            old,
        });
        self.history.push(event.clone());
        self.watches
            .retain(|watch| watch.send(Message::Event(event.clone())).is_ok());
    }

    /// The events after `revision`, or `None` when history that old was compacted away.
    pub(super) fn history_since(&self, revision: u64) -> Option<Vec<Arc<Event>>> {
        if revision < self.compacted {
            return None;
        }
        Some(
            self.history
                .iter()
                .filter(|event| event.revision > revision)
                .cloned()
                .collect(),
        )
    }

    /// A receiver of every later event.
    pub(super) fn subscribe(&mut self) -> mpsc::UnboundedReceiver<Message> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.watches.push(sender);
        receiver
    }

    /// Forgets the history and moves the resource version on, so that every version handed out
    /// so far is too old to watch from.
    pub(super) fn compact(&mut self) {
        self.revision += 1;
        self.compacted = self.revision;
        self.history.clear();
    }

    /// Ends every open watch abruptly.
    pub(super) fn break_watches(&mut self) {
        for watch in self.watches.drain(..) {
            let _ = watch.send(Message::Break);
        }
    }

    pub(super) fn log(&self, namespace: &str, pod: &str) -> String {
        self.logs
            .get(&(namespace.to_owned(), pod.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    pub(super) fn set_log(&mut self, namespace: &str, pod: &str, text: &str) {
        self.logs
            .insert((namespace.to_owned(), pod.to_owned()), text.to_owned());
    }
}

fn owned_by(object: &Value, uid: &str) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|owners| owners.iter().any(|owner| owner["uid"] == uid))
}
