//! CSV import (`crm360 import customers|orders`, run here through the same
//! library function the command calls): good rows kept, bad rows reported by
//! line and column and skipped, the error report written, a second run
//! adding nothing; the result checked over GraphQL. And `importCsv`, the
//! API the SPA sends files through chunk by chunk.

use crm360::imports::ImportKind;
use serde_json::json;

use crate::helpers::{TestApp, code, count_of, field};

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("crm360-{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    path
}

async fn lookup(app: &TestApp, phone: &str) -> serde_json::Value {
    let res = app
        .gql(
            "query($p: String!) { customerByPhone(phone: $p) { name city tags totalSpent orderCount } }",
            json!({ "p": phone }),
        )
        .await;
    res["data"]["customerByPhone"].clone()
}

crate::on_both! {
    async fn customers_from_csv_with_bad_rows_reported_by_line(app) {
        let csv = write("customers.csv", "\u{feff}Phone,Name,City,Birthday,Tags\n\
            0906200001,Lê Thị Hồng,Huế,1990-05-31,vip;zalo\n\
            12345,Bad Phone,,,\n\
            0906200003,Bad Date,,31/05/1990,\n\
            \"0906200004\",\"Trần, Văn Bốn\",Đà Nẵng,,\n");
        let s = crm360::imports::file(&app.ctx, ImportKind::Customers, &csv, None, false).await.unwrap();
        assert_eq!((s.rows, s.created, s.existing), (4, 2, 0));
        let lines: Vec<(u64, Option<&str>)> = s.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(lines, [(3, Some("phone")), (4, Some("birthday"))], "{:?}", s.errors);
        let report = std::fs::read_to_string(s.report.as_ref().unwrap()).unwrap();
        assert!(report.starts_with("line,column,message\n3,phone,"), "{report}");
        let hong = lookup(&app, "0906200001").await;
        assert_eq!((hong["name"].as_str(), hong["city"].as_str()), (Some("Lê Thị Hồng"), Some("Huế")));
        assert_eq!(hong["tags"], json!(["vip", "zalo"]));
        assert_eq!(lookup(&app, "0906200004").await["name"], "Trần, Văn Bốn", "quoted commas");

        let again = crm360::imports::file(&app.ctx, ImportKind::Customers, &csv, None, false).await.unwrap();
        assert_eq!((again.created, again.existing, again.errors.len()), (0, 2, 2));
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 2);
    }

    async fn orders_from_csv_update_totals_and_a_rerun_adds_nothing(app) {
        let csv = write("orders.csv", "external_id,phone,customer_name,ordered_at,status,channel,amount,sku,item_name,quantity,unit_price\n\
            web-1,0906300001,Chị Na,2026-11-01,,website,150000,,,,\n\
            web-2,0906300001,,2026-11-05T10:00:00+07:00,delivered,,,,Áo,2,80000\n\
            web-3,0906300002,,2026-11-06,teleported,,1000,,,,\n\
            ,0906300002,,2026-11-06,,,1000,,,,\n\
            web-5,0906300002,,2099-01-01,,,1000,,,,\n\
            web-6,0906300002,,2026-11-06,,,12.5,,,,\n\
            web-7,0906300003,,,cancelled,,5000,,,,\n");
        let s = crm360::imports::file(&app.ctx, ImportKind::Orders, &csv, None, false).await.unwrap();
        assert_eq!((s.rows, s.created), (7, 3), "{:?}", s.errors);
        let lines: Vec<(u64, Option<&str>)> = s.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(lines, [(4, Some("status")), (5, Some("external_id")), (6, Some("ordered_at")), (7, Some("amount"))]);
        let na = lookup(&app, "0906300001").await;
        assert_eq!((na["name"].as_str(), na["totalSpent"].as_str(), na["orderCount"].as_i64()), (Some("Chị Na"), Some("310000"), Some(2)), "{na}");
        // A cancelled order is imported but does not count.
        assert_eq!(lookup(&app, "0906300003").await["orderCount"], 0);

        let again = crm360::imports::file(&app.ctx, ImportKind::Orders, &csv, None, false).await.unwrap();
        assert_eq!((again.created, again.existing), (0, 3));
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM orders").await, 3);
    }

    async fn import_csv_takes_a_chunk_and_names_the_file_lines(app) {
        const IMPORT: &str = "mutation($k: ImportKind!, $c: String!, $l: Int) { importCsv(kind: $k, csv: $c, firstLine: $l) { \
            rows created existing errors { line column message } } }";
        // The second chunk of a file: its first data row is line 102.
        let chunk = "phone,name,tags\n0906400001,Phan Thị Một,vip\nnot-a-phone,Hai,\n\"0906400003\",\"Ba\nhai dòng\",\n0906400004,Bốn,\n";
        let res = app.gql(IMPORT, json!({ "k": "CUSTOMERS", "c": chunk, "l": 102 })).await;
        let r = &res["data"]["importCsv"];
        assert_eq!((r["rows"].as_u64(), r["created"].as_u64(), r["existing"].as_u64()), (Some(4), Some(3), Some(0)), "{res}");
        assert_eq!((r["errors"][0]["line"].as_u64(), r["errors"][0]["column"].as_str()), (Some(103), Some("phone")), "{res}");
        assert_eq!(r["errors"].as_array().map(Vec::len), Some(1), "{res}");
        assert_eq!(lookup(&app, "0906400003").await["name"], "Ba hai dòng", "a quoted field over two lines (names collapse whitespace)");
        // The same chunk again adds nothing.
        let res = app.gql(IMPORT, json!({ "k": "CUSTOMERS", "c": chunk, "l": 102 })).await;
        assert_eq!((res["data"]["importCsv"]["created"].as_u64(), res["data"]["importCsv"]["existing"].as_u64()), (Some(0), Some(3)), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 3);
        // Imported as the caller: the audit log names them.
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'customer.create' AND actor LIKE 'user:%'").await, 3);

        let res = app.gql(IMPORT, json!({ "k": "ORDERS", "c": "phone,amount\n0906400001,1000\n" })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("csv")), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap_or("").contains("external_id"), "{res}");
        let big = format!("phone\n{}", "0906400009\n".repeat(2_001));
        let res = app.gql(IMPORT, json!({ "k": "CUSTOMERS", "c": big })).await;
        assert_eq!((code(&res), field(&res)), (Some("BAD_USER_INPUT"), Some("csv")), "{res}");
        let (_, agent) = app.staff("AGENT").await;
        let res = app.gql_as(Some(&agent), IMPORT, json!({ "k": "CUSTOMERS", "c": chunk })).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 3, "nothing was added by the refused calls");
    }
}
