//! A token store in PostgreSQL, shared by any number of processes on any number of machines.
//!
//! The exclusive section of a portal is a transaction holding a transaction-scoped advisory
//! lock keyed by the portal (`pg_advisory_xact_lock(namespace, hashtext(member_id))`): one
//! portal's refresh never waits for another's, the lock exists before the portal's first row
//! does, and the server releases it when the transaction ends, whether by the commit of the
//! rotated pair, a rollback, or the connection of a killed process going away. The pair is
//! committed (`synchronous_commit` as the server has it, on by default) before
//! [`LockedPortal::save_and_unlock`] returns, so nobody is handed a token that is not stored.

use super::{check_locked, check_record, LockedPortal, TokenRecord, TokenStore};
use crate::error::{Error, ErrorKind, Result};
use crate::postgres::{Database, Redacted, DEFAULT_POOL_SIZE};
use deadpool_postgres::{GenericClient, Object};
use futures::future::BoxFuture;
use futures::FutureExt;

/// The first key of the portal locks (the second is `hashtext(member_id)`): "b24t".
const LOCK_NAMESPACE: i32 = 0x6232_3474;

/// How long a section waits for another holder before failing: longer than a refresh (an
/// HTTP round trip with a 30 s timeout) can hold it.
const LOCK_WAIT: &str = "SET LOCAL lock_timeout = '120s'";

const LOCK: &str = "SELECT pg_advisory_xact_lock($1, hashtext($2))";

/// Tokens in the table `bitrix24_tokens` of a PostgreSQL [`Database`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    db: Database,
}

impl PostgresStore {
    /// Connects to `url` (see [`Database::connect`]) and migrates the schema.
    ///
    /// # Errors
    /// As [`Database::connect`].
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self::new(
            Database::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await?,
        ))
    }

    /// A store in `db` (whose pool the budgets may share).
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.db
    }
}

impl TokenStore for PostgresStore {
    fn load<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>>> {
        async move { select(&self.db.client().await?, member_id).await }.boxed()
    }

    fn save<'a>(&'a self, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_record(record)?;
            let mut client = self.db.client().await?;
            let tx = client.transaction().await.map_err(fail("cannot begin"))?;
            enter(&tx, &record.member_id).await?;
            upsert(&tx, record).await?;
            tx.commit()
                .await
                .map_err(fail("cannot commit the token record"))
        }
        .boxed()
    }

    fn delete<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            let mut client = self.db.client().await?;
            let tx = client.transaction().await.map_err(fail("cannot begin"))?;
            enter(&tx, member_id).await?;
            tx.execute(
                "DELETE FROM bitrix24_tokens WHERE member_id = $1",
                &[&member_id],
            )
            .await
            .map_err(fail("cannot delete the token record"))?;
            tx.commit()
                .await
                .map_err(fail("cannot commit the deletion"))
        }
        .boxed()
    }

    fn portals(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        async move {
            let rows = self
                .db
                .client()
                .await?
                .query(
                    "SELECT member_id FROM bitrix24_tokens ORDER BY member_id",
                    &[],
                )
                .await
                .map_err(fail("cannot list the stored portals"))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        }
        .boxed()
    }

    fn lock<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Box<dyn LockedPortal>>> {
        async move {
            let client = self.db.client().await?;
            // A plain BEGIN on the pooled connection rather than a `Transaction`, which
            // borrows the connection and so cannot be handed out in a box.
            let mut locked = PostgresLocked {
                client: Some(client),
                member_id: member_id.to_string(),
            };
            let c = locked.client()?;
            c.batch_execute("BEGIN")
                .await
                .map_err(fail("cannot begin the section"))?;
            enter(c, member_id).await?;
            let locked: Box<dyn LockedPortal> = Box::new(locked);
            Ok(locked)
        }
        .boxed()
    }
}

/// A connection inside the section's transaction. Dropped without a save (or while saving),
/// it is closed rather than returned to the pool: the server rolls the transaction back and
/// releases the lock at once, and no later user of the pool inherits the open transaction.
struct PostgresLocked {
    client: Option<Object>,
    member_id: String,
}

impl PostgresLocked {
    fn client(&mut self) -> Result<&mut Object> {
        self.client.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::TokenStore,
                "the section of this portal was already left",
            )
        })
    }
}

impl Drop for PostgresLocked {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

impl LockedPortal for PostgresLocked {
    fn load(&mut self) -> BoxFuture<'_, Result<Option<TokenRecord>>> {
        async move {
            let member_id = self.member_id.clone();
            select(self.client()?, &member_id).await
        }
        .boxed()
    }

    fn save_and_unlock<'a>(
        mut self: Box<Self>,
        record: &'a TokenRecord,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            check_locked(record, &self.member_id)?;
            let c = self.client()?;
            upsert(c, record).await?;
            c.batch_execute("COMMIT")
                .await
                .map_err(fail("cannot commit the token record"))?;
            // Committed: the connection is clean and goes back to the pool.
            drop(self.client.take());
            Ok(())
        }
        .boxed()
    }
}

fn fail(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
    move |e| Error::new(ErrorKind::TokenStore, what).with_source(e)
}

/// Takes the portal's lock inside the open transaction, waiting at most [`LOCK_WAIT`].
async fn enter(c: &impl GenericClient, member_id: &str) -> Result<()> {
    c.batch_execute(LOCK_WAIT)
        .await
        .map_err(fail("cannot configure the section"))?;
    c.execute(LOCK, &[&LOCK_NAMESPACE, &member_id])
        .await
        .map_err(fail(
            "cannot lock the portal's tokens (another process held them for over 120 s?)",
        ))?;
    Ok(())
}

async fn select(c: &impl GenericClient, member_id: &str) -> Result<Option<TokenRecord>> {
    let row = c
        .query_opt(
            "SELECT record FROM bitrix24_tokens WHERE member_id = $1",
            &[&member_id],
        )
        .await
        .map_err(fail("cannot read the token record"))?;
    row.map(|r| {
        let text: String = r.get(0);
        serde_json::from_str(&text).map_err(|e| {
            // Position only: serde's message may quote a token.
            Error::new(
                ErrorKind::TokenStore,
                format!(
                    "the stored token record is damaged ({:?} error at column {})",
                    e.classify(),
                    e.column()
                ),
            )
        })
    })
    .transpose()
}

async fn upsert(c: &impl GenericClient, record: &TokenRecord) -> Result<()> {
    let text = serde_json::to_string(record).map_err(|e| {
        Error::new(ErrorKind::TokenStore, "cannot encode the token record").with_source(e)
    })?;
    let generation = i64::try_from(record.generation).unwrap_or(i64::MAX);
    c.execute(
        "INSERT INTO bitrix24_tokens (member_id, generation, record, updated_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (member_id) DO UPDATE SET
           generation = excluded.generation, record = excluded.record,
           updated_at = excluded.updated_at",
        // The record holds the tokens: never in a log of the driver's.
        &[&record.member_id, &generation, &Redacted(&text)],
    )
    .await
    .map(drop)
    .map_err(fail("cannot write the token record"))
}
