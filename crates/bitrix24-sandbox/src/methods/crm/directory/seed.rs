//! The directories a fresh English-language portal starts with: lead statuses, sources, deal
//! stages of the default pipeline and of one custom pipeline ("Wholesale", id 1), deal types,
//! contact and company types, honorifics.
//!
//! Rows carry fixed ids and are inserted with `INSERT OR IGNORE`, so re-opening a database
//! never duplicates them.

/// The `INSERT`s of the seeded rows, as a literal so `concat!` can append it to the schema.
macro_rules! directory_seed {
    () => {
        r#"
INSERT OR IGNORE INTO crm_deal_category (id, created_date, name, sort, is_locked) VALUES
    (1, 1704067200, 'Wholesale', 200, 'N');

INSERT OR IGNORE INTO crm_status
    (id, entity_id, status_id, name, name_init, sort, system, category_id, color, semantics) VALUES
    (1, 'STATUS', 'NEW', 'Unassigned', 'Unassigned', 10, 'Y', NULL, '#39A8EF', NULL),
    (3, 'STATUS', 'IN_PROCESS', 'In Progress', '', 20, 'N', NULL, '#2FC6F6', NULL),
    (5, 'STATUS', 'PROCESSED', 'Processed', '', 30, 'N', NULL, '#55D0E0', NULL),
    (7, 'STATUS', 'CONVERTED', 'Good Lead', 'Good Lead', 40, 'Y', NULL, '#7BD500', 'S'),
    (9, 'STATUS', 'JUNK', 'Junk Lead', 'Junk Lead', 50, 'Y', NULL, '#FF5752', 'F'),

    (21, 'SOURCE', 'CALL', 'Call', 'Call', 10, 'Y', NULL, NULL, NULL),
    (23, 'SOURCE', 'EMAIL', 'E-Mail', 'E-Mail', 20, 'Y', NULL, NULL, NULL),
    (25, 'SOURCE', 'WEB', 'Website', 'Website', 30, 'Y', NULL, NULL, NULL),
    (27, 'SOURCE', 'ADVERTISING', 'Advertising', 'Advertising', 40, 'Y', NULL, NULL, NULL),
    (29, 'SOURCE', 'PARTNER', 'Existing client', 'Existing client', 50, 'Y', NULL, NULL, NULL),
    (31, 'SOURCE', 'RECOMMENDATION', 'By recommendation', 'By recommendation', 60, 'Y', NULL, NULL, NULL),
    (33, 'SOURCE', 'TRADE_SHOW', 'Show/Exhibition', 'Show/Exhibition', 70, 'Y', NULL, NULL, NULL),
    (35, 'SOURCE', 'WEBFORM', 'CRM form', 'CRM form', 80, 'Y', NULL, NULL, NULL),
    (37, 'SOURCE', 'CALLBACK', 'Callback', 'Callback', 90, 'Y', NULL, NULL, NULL),
    (39, 'SOURCE', 'RC_GENERATOR', 'Sales boost', 'Sales boost', 100, 'Y', NULL, NULL, NULL),
    (41, 'SOURCE', 'STORE', 'Online Store', 'Online Store', 110, 'Y', NULL, NULL, NULL),
    (43, 'SOURCE', 'OTHER', 'Other', 'Other', 120, 'Y', NULL, NULL, NULL),

    (101, 'DEAL_STAGE', 'NEW', 'New', 'New', 10, 'Y', NULL, '#39A8EF', NULL),
    (103, 'DEAL_STAGE', 'PREPARATION', 'Document preparation', '', 20, 'N', NULL, '#2FC6F6', NULL),
    (105, 'DEAL_STAGE', 'PREPAYMENT_INVOICE', 'Prepayment invoice', '', 30, 'N', NULL, '#55D0E0', NULL),
    (107, 'DEAL_STAGE', 'EXECUTING', 'In progress', '', 40, 'N', NULL, '#47E4C2', NULL),
    (109, 'DEAL_STAGE', 'FINAL_INVOICE', 'Final invoice', '', 50, 'N', NULL, '#FFA900', NULL),
    (111, 'DEAL_STAGE', 'WON', 'Deal successful', 'Deal successful', 60, 'Y', NULL, '#7BD500', 'S'),
    (113, 'DEAL_STAGE', 'LOSE', 'Deal failed', 'Deal failed', 70, 'Y', NULL, '#FF5752', 'F'),
    (115, 'DEAL_STAGE', 'APOLOGY', 'Failure reason analysis', '', 80, 'N', NULL, '#FF5752', 'F'),

    (201, 'DEAL_STAGE_1', 'C1:NEW', 'New', 'New', 10, 'Y', 1, '#39A8EF', NULL),
    (203, 'DEAL_STAGE_1', 'C1:PREPARATION', 'Document preparation', '', 20, 'N', 1, '#2FC6F6', NULL),
    (205, 'DEAL_STAGE_1', 'C1:EXECUTING', 'In progress', '', 30, 'N', 1, '#47E4C2', NULL),
    (207, 'DEAL_STAGE_1', 'C1:WON', 'Deal successful', 'Deal successful', 40, 'Y', 1, '#7BD500', 'S'),
    (209, 'DEAL_STAGE_1', 'C1:LOSE', 'Deal failed', 'Deal failed', 50, 'Y', 1, '#FF5752', 'F'),

    (301, 'DEAL_TYPE', 'SALE', 'Sales', 'Sales', 10, 'Y', NULL, NULL, NULL),
    (303, 'DEAL_TYPE', 'COMPLEX', 'Integrated sale', 'Integrated sale', 20, 'Y', NULL, NULL, NULL),
    (305, 'DEAL_TYPE', 'GOODS', 'Merchandise sales', 'Merchandise sales', 30, 'Y', NULL, NULL, NULL),
    (307, 'DEAL_TYPE', 'SERVICES', 'Service sales', 'Service sales', 40, 'Y', NULL, NULL, NULL),
    (309, 'DEAL_TYPE', 'SERVICE', 'After-sales service', 'After-sales service', 50, 'Y', NULL, NULL, NULL),

    (401, 'CONTACT_TYPE', 'CLIENT', 'Clients', 'Clients', 10, 'Y', NULL, NULL, NULL),
    (403, 'CONTACT_TYPE', 'SUPPLIER', 'Suppliers', 'Suppliers', 20, 'Y', NULL, NULL, NULL),
    (405, 'CONTACT_TYPE', 'PARTNER', 'Partners', 'Partners', 30, 'Y', NULL, NULL, NULL),
    (407, 'CONTACT_TYPE', 'OTHER', 'Other', 'Other', 40, 'Y', NULL, NULL, NULL),

    (501, 'COMPANY_TYPE', 'CUSTOMER', 'Client', 'Client', 10, 'Y', NULL, NULL, NULL),
    (503, 'COMPANY_TYPE', 'SUPPLIER', 'Supplier', 'Supplier', 20, 'Y', NULL, NULL, NULL),
    (505, 'COMPANY_TYPE', 'COMPETITOR', 'Competitor', 'Competitor', 30, 'Y', NULL, NULL, NULL),
    (507, 'COMPANY_TYPE', 'PARTNER', 'Partner', 'Partner', 40, 'Y', NULL, NULL, NULL),
    (509, 'COMPANY_TYPE', 'OTHER', 'Other', 'Other', 50, 'Y', NULL, NULL, NULL),

    (601, 'HONORIFIC', 'HNR_EN_1', 'Mr.', 'Mr.', 100, 'Y', NULL, NULL, NULL),
    (603, 'HONORIFIC', 'HNR_EN_2', 'Mrs.', 'Mrs.', 200, 'Y', NULL, NULL, NULL),
    (605, 'HONORIFIC', 'HNR_EN_3', 'Ms.', 'Ms.', 300, 'Y', NULL, NULL, NULL),
    (607, 'HONORIFIC', 'HNR_EN_4', 'Dr.', 'Dr.', 400, 'Y', NULL, NULL, NULL);
"#
    };
}
