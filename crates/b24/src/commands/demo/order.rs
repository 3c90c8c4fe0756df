//! The order part of the demo: the deal of a shop order, its product rows and a timeline
//! comment in one batch request, and the amount the portal computed from the rows.

use super::step;
use crate::exit::{CliError, CliResult};
use bitrix24::batch::Batch;
use bitrix24::crm::productrow::{Discount, ProductRowFields};
use bitrix24::crm::types::{Amount, ContactId};
use bitrix24::crm::{DealFields, Owner};
use bitrix24::Client;

/// The order's lines: name, final unit price (exact text), quantity, percent off.
const LINES: [(&str, &str, u32, Option<u32>); 3] = [
    ("Office chair", "12500.00", 2, Some(10)),
    ("Desk lamp", "2490.50", 3, None),
    ("Delivery", "1500", 1, None),
];

/// Creates the deal of order A-1001 for `contact` with its rows and a comment, and reads the
/// deal back, all in one HTTP request (the commands of a batch run in order, so the read
/// sees the amount recomputed from the rows).
pub(super) async fn record(client: &Client, contact: ContactId) -> CliResult {
    let mut batch = Batch::new();
    let deal = batch.push(
        client.deals().add(
            DealFields::new()
                .title("Order A-1001")
                .currency("RUB")
                .contacts([contact]),
        ),
    );
    let owner = Owner::deal(&deal);
    let mut rows = Vec::new();
    for (i, (name, price, quantity, discount)) in LINES.into_iter().enumerate() {
        let mut row = ProductRowFields::new(name, Amount::parse(price)?)
            .quantity(Amount::from(quantity))
            .measure(796, "pcs")
            .sort((i as i64 + 1) * 10);
        if let Some(percent) = discount {
            row = row.discount(Discount::Percent(Amount::from(percent)));
        }
        rows.push(row);
    }
    let rows = batch.push(client.product_rows().set(&owner, rows));
    let comment = batch.push(
        client
            .timeline()
            .comment(&owner, "Order A-1001 paid online; ship by Friday."),
    );
    let read = batch.push(client.deals().get(&deal));
    batch.halt(true);
    let results = client.batch(batch).await?;
    let (deal_id, rows, comment, deal) = (
        results.get(&deal)?,
        results.get(&rows)?,
        results.get(&comment)?,
        results.get(&read)?,
    );

    let mut text = format!(
        "One batch request for a shop order: deal #{deal_id} \"Order A-1001\" for contact \
         #{contact},\nits {} product rows (crm.item.productrow.set) and timeline comment \
         #{comment}:\n",
        rows.len()
    );
    let mut expected = 0.0;
    for row in &rows {
        let off = match &row.discount_rate {
            Some(rate) if rate.to_f64_lossy() != 0.0 => {
                format!("  (list price {}, {rate} % off)", row.price_netto)
            }
            _ => String::new(),
        };
        text.push_str(&format!(
            "  {:<13} {:>2} × {:>8}{off}\n",
            row.product_name.as_deref().unwrap_or(""),
            row.quantity,
            row.price,
        ));
        expected += row.price.to_f64_lossy() * row.quantity.to_f64_lossy();
    }
    let opportunity = deal.opportunity.clone().unwrap_or_else(|| Amount::from(0));
    text.push_str(&format!(
        "  OPPORTUNITY {opportunity} {}: computed by the portal from the rows \
         (Σ price × quantity),\n  not sent by the client.",
        deal.currency_id.as_deref().unwrap_or("")
    ));
    step(7, &text);
    // A check, not arithmetic for the user: the figure shown is the portal's own.
    if (opportunity.to_f64_lossy() - expected).abs() > 0.005 {
        return Err(CliError::Other(format!(
            "the deal's OPPORTUNITY {opportunity} is not the sum of its rows ({expected:.2})"
        )));
    }
    if deal.contact_id != Some(contact) {
        return Err(CliError::Other(
            "the order's deal is not bound to the contact".into(),
        ));
    }
    Ok(())
}
