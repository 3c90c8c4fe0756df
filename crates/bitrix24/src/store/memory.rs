//! A token store in memory: one process, lost on exit.

use super::{check_locked, check_record, LockedPortal, TokenRecord, TokenStore};
use crate::error::Result;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::OwnedMutexGuard;

/// Tokens kept in memory. Clones share the same records. The exclusive section is
/// per portal and holds within this process only.
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    records: Mutex<HashMap<String, TokenRecord>>,
    sections: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> MutexGuard<'_, HashMap<String, TokenRecord>> {
        // A poisoned map is still consistent: every update is a single insert or remove.
        self.inner.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn section(&self, member_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut sections = self
            .inner
            .sections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        sections.entry(member_id.to_string()).or_default().clone()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("portals", &self.records().len())
            .finish()
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>>> {
        let found = self.records().get(member_id).cloned();
        futures::future::ready(Ok(found)).boxed()
    }

    fn save<'a>(&'a self, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_record(record)?;
            let _section = self.section(&record.member_id).lock_owned().await;
            self.records()
                .insert(record.member_id.clone(), record.clone());
            Ok(())
        }
        .boxed()
    }

    fn delete<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            let _section = self.section(member_id).lock_owned().await;
            self.records().remove(member_id);
            Ok(())
        }
        .boxed()
    }

    fn portals(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        let mut ids: Vec<String> = self.records().keys().cloned().collect();
        ids.sort();
        futures::future::ready(Ok(ids)).boxed()
    }

    fn lock<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Box<dyn LockedPortal>>> {
        async move {
            let guard = self.section(member_id).lock_owned().await;
            let locked: Box<dyn LockedPortal> = Box::new(MemoryLocked {
                store: self.clone(),
                member_id: member_id.to_string(),
                _guard: guard,
            });
            Ok(locked)
        }
        .boxed()
    }
}

struct MemoryLocked {
    store: MemoryStore,
    member_id: String,
    _guard: OwnedMutexGuard<()>,
}

impl LockedPortal for MemoryLocked {
    fn load(&mut self) -> BoxFuture<'_, Result<Option<TokenRecord>>> {
        let found = self.store.records().get(&self.member_id).cloned();
        futures::future::ready(Ok(found)).boxed()
    }

    fn save_and_unlock<'a>(self: Box<Self>, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        let result = check_locked(record, &self.member_id).map(|()| {
            self.store
                .records()
                .insert(record.member_id.clone(), record.clone());
        });
        drop(self);
        futures::future::ready(result).boxed()
    }
}
