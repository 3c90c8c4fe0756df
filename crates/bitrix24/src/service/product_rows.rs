//! Product rows (`crm.item.productrow.*`, and the legacy `crm.deal|lead.productrows.*`):
//! `client.product_rows()`.

use serde_json::{json, Value};

use crate::client::Client;
use crate::crm::productrow::{ProductRow, ProductRowFields, RowMarker};
use crate::crm::types::IntoId;
use crate::crm::{EntityType, Owner};
use crate::error::{Error, ErrorKind, Result};
use crate::request::Request;
use crate::service::answers::expect_true;

/// The product rows of leads, deals, estimates and smart processes: `client.product_rows()`.
///
/// Every write saves the owner too: the portal recomputes a deal's `OPPORTUNITY` from its
/// rows (Σ price × quantity) unless the deal's amount is manual (`IS_MANUAL_OPPORTUNITY=Y`).
/// An owner type without rows is refused before sending ([`Owner::item`] of a contact or an
/// old invoice); a short code the portal does not know ([`Owner::from_short_code`]) comes
/// back as its `ENTITY_TYPE_NOT_SUPPORTED`, a missing owner as `OWNER_NOT_FOUND`.
#[derive(Debug, Clone)]
pub struct ProductRows {
    client: Client,
}

impl ProductRows {
    /// `crm.item.productrow.set`: replaces **all** rows of `owner` with `rows` (rows not
    /// sent are deleted; an empty list clears them) and returns every row of the owner as
    /// stored, each with a new id and the prices the portal computed.
    pub fn set(
        &self,
        owner: &Owner,
        rows: impl IntoIterator<Item = ProductRowFields>,
    ) -> Request<Vec<ProductRow>> {
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|r| Value::Object(r.to_item_map()))
            .collect();
        let params = owner.short_code().map(
            |code| json!({ "ownerType": code, "ownerId": owner.id_value(), "productRows": rows }),
        );
        Request::try_new(&self.client, "crm.item.productrow.set", params).at(&["productRows"])
    }

    /// `crm.item.productrow.list`: the rows of `owner`, by `sort` then id, one page of up to
    /// 50 (a longer list says where the next page starts in
    /// [`Response::next`](crate::Response::next) of [`Request::send_full`]; pass it to
    /// [`ProductRows::list_from`]).
    pub fn list(&self, owner: &Owner) -> Request<Vec<ProductRow>> {
        self.list_from(owner, 0)
    }

    /// [`ProductRows::list`] from the row at position `start`.
    pub fn list_from(&self, owner: &Owner, start: u64) -> Request<Vec<ProductRow>> {
        let params = owner.short_code().map(|code| {
            json!({
                "filter": { "=ownerType": code, "=ownerId": owner.id_value() },
                "order": { "sort": "ASC", "id": "ASC" },
                "start": start,
            })
        });
        Request::try_new(&self.client, "crm.item.productrow.list", params).at(&["productRows"])
    }

    /// `crm.item.productrow.add`: adds one row to `owner` (the others stay) and returns it
    /// as stored.
    pub fn add(&self, owner: &Owner, row: ProductRowFields) -> Request<ProductRow> {
        let params = owner.short_code().map(|code| {
            let mut fields = row.to_item_map();
            fields.insert("ownerType".into(), Value::from(code));
            fields.insert("ownerId".into(), owner.id_value());
            json!({ "fields": fields })
        });
        Request::try_new(&self.client, "crm.item.productrow.add", params).at(&["productRow"])
    }

    /// `crm.item.productrow.update`: writes the fields of `row` over row `id` (fields not set
    /// in `row` stay; the price is always sent, so the computed prices follow it) and
    /// returns the row as stored. A missing row fails with `NOT_FOUND`.
    pub fn update(&self, id: impl IntoId<RowMarker>, row: ProductRowFields) -> Request<ProductRow> {
        let params = json!({ "id": id.into_id_value(), "fields": row.to_item_map() });
        Request::new(&self.client, "crm.item.productrow.update", params).at(&["productRow"])
    }

    /// `crm.item.productrow.get`: one row. A missing one fails with `NOT_FOUND`
    /// ([`is_not_found`](crate::Error::is_not_found)).
    pub fn get(&self, id: impl IntoId<RowMarker>) -> Request<ProductRow> {
        let params = json!({ "id": id.into_id_value() });
        Request::new(&self.client, "crm.item.productrow.get", params).at(&["productRow"])
    }

    /// `crm.item.productrow.delete`: deletes one row.
    pub fn delete(&self, id: impl IntoId<RowMarker>) -> Request<()> {
        let params = json!({ "id": id.into_id_value() });
        Request::ignoring_result(&self.client, "crm.item.productrow.delete", Ok(params))
    }

    /// The deprecated `crm.deal.productrows.set` / `crm.lead.productrows.set` (UPPER_CASE
    /// rows, answer `true`), for portals and code that still use them: replaces all rows of
    /// a deal or lead. Prefer [`ProductRows::set`], which returns the rows as stored.
    pub fn set_legacy(
        &self,
        owner: &Owner,
        rows: impl IntoIterator<Item = ProductRowFields>,
    ) -> Request<()> {
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|r| Value::Object(r.to_legacy_map()))
            .collect();
        let (method, params) = legacy(
            owner,
            "set",
            json!({ "id": owner.id_value(), "rows": rows }),
        );
        Request::<Value>::try_new(&self.client, method, params).with_decoder(expect_true)
    }

    /// The deprecated `crm.deal.productrows.get` / `crm.lead.productrows.get`: every row of a
    /// deal or lead (UPPER_CASE, decoded into the same [`ProductRow`]).
    pub fn get_legacy(&self, owner: &Owner) -> Request<Vec<ProductRow>> {
        let (method, params) = legacy(owner, "get", json!({ "id": owner.id_value() }));
        Request::try_new(&self.client, method, params)
    }
}

/// `crm.deal.productrows.{action}` or `crm.lead.productrows.{action}` with `params`; for
/// another owner, the deal's method with the mistake in place of the parameters.
fn legacy(owner: &Owner, action: &str, params: Value) -> (String, Result<Value>) {
    let entity = match owner.entity_type() {
        Some(EntityType::Deal) => "deal",
        Some(EntityType::Lead) => "lead",
        _ => {
            let e = Error::new(
                ErrorKind::InvalidInput,
                "the legacy productrows methods exist for deals and leads only: use \
                 `product_rows().set` (crm.item.productrow.set) for other owners",
            );
            return (format!("crm.deal.productrows.{action}"), Err(e));
        }
    };
    (format!("crm.{entity}.productrows.{action}"), Ok(params))
}

impl Client {
    /// Product rows of deals, leads, estimates and smart processes as
    /// [request values](crate::request); see [`ProductRows`].
    pub fn product_rows(&self) -> ProductRows {
        ProductRows {
            client: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::batch::Batch;
    use crate::crm::productrow::ProductRowFields;
    use crate::crm::types::{Amount, DealId};
    use crate::crm::{DealFields, Owner};
    use crate::{Client, ErrorKind};

    fn client() -> Client {
        Client::from_webhook("https://p.example.com/rest/1/s3cret/").unwrap()
    }

    fn chair() -> ProductRowFields {
        ProductRowFields::new("Chair", Amount::from(80))
    }

    #[test]
    fn set_names_the_owner_by_short_code_and_reads_the_rows() {
        let c = client();
        let deal = Owner::deal(DealId::new(7).unwrap());
        let set = c.product_rows().set(&deal, [chair()]);
        assert_eq!(set.method(), "crm.item.productrow.set");
        let p = set.params().unwrap();
        assert_eq!((&p["ownerType"], &p["ownerId"]), (&"D".into(), &7.into()));
        assert_eq!(p["productRows"][0]["productName"], "Chair");
        let list = c.product_rows().list(&deal);
        assert_eq!(list.params().unwrap()["filter"]["=ownerType"], "D");
    }

    #[test]
    fn the_rows_of_a_deal_made_in_the_same_batch_point_at_it() {
        let c = client();
        let mut batch = Batch::new();
        let deal = batch.push(c.deals().add(DealFields::new().title("Order 7")));
        let rows = batch.push(c.product_rows().set(&Owner::deal(&deal), [chair()]));
        assert_eq!(rows.value_ref().to_string(), "$result[_1][productRows]");
        assert!(batch.check().is_ok());
    }

    #[test]
    fn owners_without_rows_are_refused_before_sending() {
        let c = client();
        let contact = Owner::item(3, 1);
        let e = c.product_rows().set(&contact, [chair()]);
        assert_eq!(e.params().unwrap_err().kind(), ErrorKind::InvalidInput);
        let legacy = c.product_rows().set_legacy(&Owner::item(7, 1), [chair()]);
        assert!(legacy.params().is_err());
        let deal = Owner::deal(DealId::new(7).unwrap());
        let ok = c.product_rows().set_legacy(&deal, [chair()]);
        assert_eq!(ok.method(), "crm.deal.productrows.set");
        assert_eq!(ok.params().unwrap()["rows"][0]["PRODUCT_NAME"], "Chair");
    }
}
