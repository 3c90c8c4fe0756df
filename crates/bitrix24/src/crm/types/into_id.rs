//! [`IntoId`]: what a setter or a request that takes an id accepts — the id itself, or the
//! batch handle of a request that returns one.

use serde_json::Value;

use super::Id;
use crate::batch::Handle;

/// An id of the entity `M`, known now ([`Id<M>`](Id)) or only once an earlier command of the
/// same batch has run (a [`Handle<Id<M>>`](Handle), sent as a `$result[…]` reference):
///
/// ```
/// use bitrix24::batch::Batch;
/// use bitrix24::crm::{ContactFields, DealFields};
/// use bitrix24::crm::types::ContactId;
/// # let client = bitrix24::Client::from_webhook("https://example.bitrix24.com/rest/1/secret/").unwrap();
///
/// let mut batch = Batch::new();
/// let contact = batch.push(client.contacts().add(ContactFields::new().name("Иван")));
/// let deal = DealFields::new().contact(&contact); // a handle...
/// let known = DealFields::new().contact(ContactId::new(5).unwrap()); // ...or an id
/// assert_eq!(deal.to_map().unwrap()["CONTACT_ID"], "$result[_0]");
/// assert_eq!(known.to_map().unwrap()["CONTACT_ID"], 5);
/// ```
pub trait IntoId<M> {
    /// The value to send: the id as a number, or the reference as text.
    fn into_id_value(self) -> Value;
}

impl<M> IntoId<M> for Id<M> {
    fn into_id_value(self) -> Value {
        Value::from(self.get())
    }
}

impl<M> IntoId<M> for &Id<M> {
    fn into_id_value(self) -> Value {
        Value::from(self.get())
    }
}

impl<M> IntoId<M> for &Handle<Id<M>> {
    fn into_id_value(self) -> Value {
        Value::String(self.value_ref().to_string())
    }
}

impl<M> IntoId<M> for Handle<Id<M>> {
    fn into_id_value(self) -> Value {
        (&self).into_id_value()
    }
}

/// An id known now or one an earlier command of the batch creates: for code that finds a
/// record or else creates it in the same batch.
///
/// ```no_run
/// # async fn run(client: bitrix24::Client, found: Option<bitrix24::crm::types::ContactId>) -> bitrix24::Result<()> {
/// use bitrix24::batch::Batch;
/// use bitrix24::crm::types::{marker, IdOrHandle};
/// use bitrix24::crm::{ContactFields, DealFields};
///
/// let mut batch = Batch::new();
/// let contact: IdOrHandle<marker::Contact> = match found {
///     Some(id) => id.into(),
///     None => batch.push(client.contacts().add(ContactFields::new().name("Иван"))).into(),
/// };
/// let deal = batch.push(client.deals().add(DealFields::new().title("Order 7").contact(&contact)));
/// let results = client.batch(batch).await?;
/// let (contact_id, deal_id) = (contact.resolve(&results)?, results.get(&deal)?);
/// # let _ = (contact_id, deal_id); Ok(()) }
/// ```
pub enum IdOrHandle<M> {
    /// Known now.
    Id(Id<M>),
    /// Made by an earlier command of the same batch.
    Handle(Handle<Id<M>>),
}

impl<M> IdOrHandle<M> {
    /// The id: as it is, or read from the batch's results.
    ///
    /// # Errors
    /// The command's own error when the batch did not create it (see
    /// [`BatchResults::get`](crate::batch::BatchResults::get)).
    pub fn resolve(&self, results: &crate::batch::BatchResults) -> crate::Result<Id<M>> {
        match self {
            Self::Id(id) => Ok(*id),
            Self::Handle(h) => results.get(h),
        }
    }
}

impl<M> From<Id<M>> for IdOrHandle<M> {
    fn from(id: Id<M>) -> Self {
        Self::Id(id)
    }
}

impl<M> From<Handle<Id<M>>> for IdOrHandle<M> {
    fn from(handle: Handle<Id<M>>) -> Self {
        Self::Handle(handle)
    }
}

impl<M> IntoId<M> for &IdOrHandle<M> {
    fn into_id_value(self) -> Value {
        match self {
            IdOrHandle::Id(id) => id.into_id_value(),
            IdOrHandle::Handle(h) => h.into_id_value(),
        }
    }
}

impl<M> Clone for IdOrHandle<M> {
    fn clone(&self) -> Self {
        match self {
            Self::Id(id) => Self::Id(*id),
            Self::Handle(h) => Self::Handle(h.clone()),
        }
    }
}

impl<M> std::fmt::Debug for IdOrHandle<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => f.debug_tuple("Id").field(id).finish(),
            Self::Handle(h) => f.debug_tuple("Handle").field(h).finish(),
        }
    }
}
