//! CSV import.
//!
//! The command line (`crm360 import customers|orders`, run here through
//! the same library function the command calls): good rows kept, bad rows
//! reported by line and column and skipped, the error report written, a
//! second run adding nothing.
//!
//! The API over real HTTP: `POST /imports` streams a file to disk and
//! returns a job; `importJob { preview }` shows the suggested mapping and
//! the problems of a sample; `startImport` runs it in the background while
//! `importProgress` reports over WebSocket; `GET /imports/{id}/errors.csv`
//! gives the refused rows.

use serde_json::{Value, json};

use crate::helpers::{TestApp, code, count_of};
use crate::realtime::{next, subscribed};
use crm360::imports::ImportKind;

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("crm360-{}-{name}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, text).unwrap();
    path
}

async fn lookup(app: &TestApp, phone: &str) -> Value {
    let res = app
        .gql(
            "query($p: String!) { customerByPhone(phone: $p) { name email city tags totalSpent orderCount } }",
            json!({ "p": phone }),
        )
        .await;
    res["data"]["customerByPhone"].clone()
}

/// Uploads `csv` as `kind` with `token`: the HTTP status and JSON body.
pub(crate) async fn upload_as(app: &TestApp, token: Option<&str>, kind: &str, csv: &str) -> (u16, Value) {
    let mut req = app.http.post(app.url(&format!("/imports?kind={kind}&filename=test.csv"))).body(csv.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("POST /imports");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Uploads `csv` as the admin: the job id.
pub(crate) async fn upload(app: &TestApp, kind: &str, csv: &str) -> String {
    let (status, body) = upload_as(app, Some(&app.token()), kind, csv).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

const PREVIEW: &str = "query($id: ID!, $m: [ColumnMappingInput!]) { importJob(id: $id) { status kind fileName \
    preview(mapping: $m) { header rows { line cells } mapping { column field } fields { name required } \
    problems { kind line column message } problemCount sampleRows complete } } }";

const START: &str = "mutation($id: ID!, $m: [ColumnMappingInput!], $d: OnDuplicate) { \
    startImport(id: $id, mapping: $m, onDuplicate: $d) { id status } }";

const PROGRESS: &str = "subscription($id: ID!) { importProgress(id: $id) { jobId status rowsRead created existing updated failed bytesRead bytes } }";

/// The job's state, polled until it ends.
async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..300 {
        let res = app
            .gql(
                "query($id: ID!) { importJob(id: $id) { status rowsRead created existing updated failed error } }",
                json!({ "id": id }),
            )
            .await;
        let job = res["data"]["importJob"].clone();
        if ["COMPLETED", "FAILED", "CANCELLED"].contains(&job["status"].as_str().unwrap_or("")) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish within 30 s");
}

/// `GET path` with the admin's token: status and body.
pub(crate) async fn get_text(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String) {
    let mut req = app.http.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// CSV text as records (header included).
pub(crate) fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

crate::on_both! {
    async fn customers_from_csv_with_bad_rows_reported_by_line(app) {
        let csv = write("customers.csv", "\u{feff}Phone,Name,City,Birthday,Tags\n\
            0906200001,Lê Thị Hồng,Huế,1990-05-31,vip;zalo\n\
            12345,Bad Phone,,,\n\
            0906200003,Bad Date,,1990-31-05,\n\
            \"0906200004\",\"Trần, Văn Bốn\",Đà Nẵng,,\n");
        let s = crm360::imports::file(&app.ctx, ImportKind::Customers, &csv, None, false).await.unwrap();
        assert_eq!((s.rows, s.created, s.existing), (4, 2, 0));
        let lines: Vec<(u64, Option<&str>)> = s.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
        assert_eq!(lines, [(3, Some("Phone")), (4, Some("Birthday"))], "{:?}", s.errors);
        let report = std::fs::read_to_string(s.report.as_ref().unwrap()).unwrap();
        assert!(report.starts_with("line,column,message,row\n3,Phone,"), "{report}");
        assert!(report.contains("\"12345,Bad Phone,,,\""), "the raw row: {report}");
        let hong = lookup(&app, "0906200001").await;
        assert_eq!((hong["name"].as_str(), hong["city"].as_str()), (Some("Lê Thị Hồng"), Some("Huế")));
        assert_eq!(hong["tags"], json!(["vip", "zalo"]));
        assert_eq!(lookup(&app, "0906200004").await["name"], "Trần, Văn Bốn", "quoted commas");

        let again = crm360::imports::file(&app.ctx, ImportKind::Customers, &csv, None, false).await.unwrap();
        assert_eq!((again.created, again.existing, again.errors.len()), (0, 2, 2));
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 2);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM wallets").await, 2, "every customer has a wallet");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'customer.created'").await, 2);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'import.customers'").await, 1, "one audit row per batch");
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

    async fn an_upload_is_previewed_with_a_suggested_mapping_and_its_problems(app) {
        app.customer("Đã Có", "0906500001").await;
        app.gql(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Có Email", "phone": "0906500099", "email": "co@mail.vn" } }),
        ).await;
        let csv = "SĐT,Họ tên,E-mail,Ngày sinh,Ghi chú\n\
            0906500010,Một,mot@mail.vn,1990-01-02,a\n\
            12345,Hai,,,b\n\
            0906500012,Ba,,31/02/1990,c\n\
            +84 90 650 0010,Một Lại,,,d\n\
            +84 90 650 0001,Đã Có Lại,,,e\n\
            0906500015,Sáu,CO@mail.vn,,f\n";
        let id = upload(&app, "customers", csv).await;
        let res = app.gql(PREVIEW, json!({ "id": id })).await;
        let job = &res["data"]["importJob"];
        assert_eq!((job["status"].as_str(), job["kind"].as_str(), job["fileName"].as_str()), (Some("UPLOADED"), Some("CUSTOMERS"), Some("test.csv")), "{res}");
        let p = &job["preview"];
        assert_eq!(p["header"], json!(["SĐT", "Họ tên", "E-mail", "Ngày sinh", "Ghi chú"]));
        assert_eq!((p["sampleRows"].as_u64(), p["complete"].as_bool()), (Some(6), Some(true)));
        assert_eq!(p["rows"][0], json!({ "line": 2, "cells": ["0906500010", "Một", "mot@mail.vn", "1990-01-02", "a"] }));
        let fields: Vec<Value> = p["mapping"].as_array().unwrap().iter().map(|m| m["field"].clone()).collect();
        assert_eq!(fields, [json!("phone"), json!("name"), json!("email"), json!("birthday"), Value::Null], "{p}");
        assert!(p["fields"].as_array().unwrap().contains(&json!({ "name": "phone", "required": true })));
        let problems: Vec<(String, u64, String)> = p["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["kind"].as_str().unwrap().to_owned(), x["line"].as_u64().unwrap_or(0), x["column"].as_str().unwrap_or("").to_owned()))
            .collect();
        let has = |kind: &str, line: u64, column: &str| problems.contains(&(kind.to_owned(), line, column.to_owned()));
        assert!(has("BAD_VALUE", 3, "SĐT"), "bad phone: {problems:?}");
        assert!(has("BAD_VALUE", 4, "Ngày sinh"), "bad date: {problems:?}");
        assert!(has("DUPLICATE_IN_FILE", 5, "SĐT"), "the same phone written another way: {problems:?}");
        assert!(has("EXISTING", 6, "SĐT"), "an existing customer by phone: {problems:?}");
        assert!(has("EXISTING", 7, "E-mail"), "an existing customer by email: {problems:?}");
        assert_eq!(p["problemCount"].as_u64(), Some(problems.len() as u64));

        // An edited mapping is judged as given: no phone column is a problem.
        let m = json!([{ "column": "SĐT", "field": null }, { "column": "Họ tên", "field": "name" }, { "column": "Ghi chú", "field": "city" }]);
        let res = app.gql(PREVIEW, json!({ "id": id, "m": m })).await;
        let p = &res["data"]["importJob"]["preview"];
        assert_eq!(p["problems"][0]["kind"], "MISSING_COLUMN", "{res}");
        assert_eq!(p["mapping"][4], json!({ "column": "Ghi chú", "field": "city" }));
        // …and starting with it is refused.
        let res = app.gql(START, json!({ "id": id, "m": m })).await;
        assert_eq!((code(&res), crate::helpers::field(&res)), (Some("BAD_USER_INPUT"), Some("mapping")), "{res}");
        let res = app.gql(PREVIEW, json!({ "id": id, "m": [{ "column": "Nope", "field": "phone" }] })).await;
        assert_eq!(code(&res), Some("BAD_USER_INPUT"), "{res}");
    }

    async fn an_import_runs_in_the_background_with_live_progress_and_an_error_report(app) {
        app.customer("Có Sẵn", "0906600001").await;
        app.gql(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Có Email", "phone": "0906600099", "email": "email@co.vn" } }),
        ).await;
        // "Số máy" is no known name: the mapping is fixed by hand.
        let mut csv = String::from("Số máy,Tên,Thư,Sinh nhật,Thẻ\n");
        for i in 0..1_200 {
            csv.push_str(&format!("09065{i:05},Khách {i},,,\n"));
        }
        csv.push_str("không-phải-số,Hỏng,,,\n"); // line 1202
        csv.push_str("0906700002,Ngày Hỏng,,1990-13-45,\n"); // line 1203
        csv.push_str("+84 90 660 0001,Trùng Số,,,\n"); // line 1204: an existing customer, another writing
        csv.push_str("0906700004,Trùng Email,EMAIL@co.vn,,\n"); // line 1205: an existing customer by email
        csv.push_str("0906700005,\"=HYPERLINK(\"\"x\"\")\",bad-email,,\n"); // line 1206
        let id = upload(&app, "customers", &csv).await;
        let mut ws = subscribed(&app, &app.token(), PROGRESS, json!({ "id": id })).await;
        let first = next(&mut ws).await.unwrap();
        assert_eq!(first["payload"]["data"]["importProgress"]["status"], "UPLOADED", "{first}");

        let m = json!([
            { "column": "Số máy", "field": "phone" }, { "column": "Tên", "field": "name" },
            { "column": "Thư", "field": "email" }, { "column": "Sinh nhật", "field": "birthday" },
        ]);
        let res = app.gql(START, json!({ "id": id, "m": m })).await;
        assert!(res["errors"].is_null(), "{res}");
        // Updates over the socket until the final one, which ends the stream.
        let mut seen = Vec::new();
        let last = loop {
            let msg = next(&mut ws).await.unwrap_or_else(|e| panic!("closed ({e:?}) after {seen:?}"));
            if msg["type"] == "complete" {
                break seen.last().cloned().unwrap();
            }
            let p = msg["payload"]["data"]["importProgress"].clone();
            assert!(!p.is_null(), "{msg}");
            seen.push(p);
        };
        assert_eq!(last["status"], "COMPLETED", "{seen:?}");
        assert_eq!(
            (last["rowsRead"].as_u64(), last["created"].as_u64(), last["existing"].as_u64(), last["failed"].as_u64()),
            (Some(1_205), Some(1_200), Some(2), Some(3)),
            "{last}"
        );
        assert_eq!(last["bytesRead"], last["bytes"], "{last}");
        let rows_read: Vec<u64> = seen.iter().filter_map(|p| p["rowsRead"].as_u64()).collect();
        assert!(rows_read.windows(2).all(|w| w[0] <= w[1]), "progress only grows: {rows_read:?}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 2 + 1_200);
        assert_eq!(lookup(&app, "0906600001").await["name"], "Có Sẵn", "SKIP leaves existing customers alone");
        assert_eq!(lookup(&app, "0906700005").await, Value::Null, "a bad email refuses the row");

        let (status, text) = get_text(&app, Some(&app.token()), &format!("/imports/{id}/errors.csv")).await;
        assert_eq!(status, 200, "{text}");
        let rows = records(&text);
        assert_eq!(rows[0], ["line", "column", "message", "row"]);
        let lines: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
        assert_eq!(lines, [("1202", "Số máy"), ("1203", "Sinh nhật"), ("1206", "Thư")], "{text}");
        assert_eq!(rows[1][3], "không-phải-số,Hỏng,,,", "the raw row");
        assert!(rows[3][3].starts_with("0906700005,\"=HYPERLINK"), "a raw row starting with a digit stays as it is: {text}");
        let (status, _) = get_text(&app, None, &format!("/imports/{id}/errors.csv")).await;
        assert_eq!(status, 401);

        // A finished job does not start again.
        let res = app.gql(START, json!({ "id": id })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
    }

    async fn duplicates_by_phone_or_email_are_updated_when_asked(app) {
        app.customer("Tên Cũ", "0906800001").await;
        app.gql(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
            json!({ "i": { "name": "Email Cũ", "phone": "0906800002", "email": "cu@mail.vn" } }),
        ).await;
        let csv = "phone,name,email,city,tags\n\
            84906800001,Tên Mới,,Huế,vip\n\
            0906899999,Tên Theo Email,CU@mail.vn,Vinh,\n\
            0906800003,Mới Hẳn,,,\n";
        let id = upload(&app, "customers", csv).await;
        let res = app.gql(START, json!({ "id": id, "d": "UPDATE" })).await;
        assert!(res["errors"].is_null(), "{res}");
        let job = finished(&app, &id).await;
        assert_eq!((job["status"].as_str(), job["created"].as_u64(), job["updated"].as_u64(), job["existing"].as_u64()), (Some("COMPLETED"), Some(1), Some(2), Some(0)), "{job}");
        let a = lookup(&app, "0906800001").await;
        assert_eq!((a["name"].as_str(), a["city"].as_str(), a["tags"].clone()), (Some("Tên Mới"), Some("Huế"), json!(["vip"])), "{a}");
        let b = lookup(&app, "0906800002").await;
        assert_eq!((b["name"].as_str(), b["city"].as_str()), (Some("Tên Theo Email"), Some("Vinh")), "matched by email; the phone stays: {b}");
        assert_eq!(lookup(&app, "0906899999").await, Value::Null);
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 3);
    }

    async fn orders_are_imported_as_a_job_and_a_job_can_be_cancelled(app) {
        let csv = "Order ID,SĐT,Tên,Total\nA-1,0906900001,Chị Một,150000\nA-2,0906900001,,abc\n";
        let id = upload(&app, "orders", csv).await;
        let res = app.gql(PREVIEW, json!({ "id": id })).await;
        let fields: Vec<Value> = res["data"]["importJob"]["preview"]["mapping"].as_array().unwrap().iter().map(|m| m["field"].clone()).collect();
        assert_eq!(fields, [json!("external_id"), json!("phone"), json!("customer_name"), json!("amount")], "{res}");
        app.gql(START, json!({ "id": id })).await;
        let job = finished(&app, &id).await;
        assert_eq!((job["created"].as_u64(), job["failed"].as_u64()), (Some(1), Some(1)), "{job}");
        assert_eq!(lookup(&app, "0906900001").await["totalSpent"], "150000");

        let other = upload(&app, "customers", "phone\n0906900009\n").await;
        let res = app.gql("mutation($id: ID!) { cancelImport(id: $id) { status } }", json!({ "id": other })).await;
        assert_eq!(res["data"]["cancelImport"]["status"], "CANCELLED", "{res}");
        let res = app.gql(START, json!({ "id": other })).await;
        assert_eq!(code(&res), Some("INVALID_TRANSITION"), "{res}");
        assert_eq!(lookup(&app, "0906900009").await, Value::Null);
    }

    async fn uploads_need_a_manager_a_known_kind_and_a_csv_header(app) {
        let (_, agent) = app.staff("AGENT").await;
        assert_eq!(upload_as(&app, Some(&agent), "customers", "phone\n0906000001\n").await.0, 403);
        assert_eq!(upload_as(&app, None, "customers", "phone\n0906000001\n").await.0, 401);
        let (status, body) = upload_as(&app, Some(&app.token()), "shoes", "phone\n").await;
        assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (400, Some("BAD_USER_INPUT")), "{body}");
        assert_eq!(upload_as(&app, Some(&app.token()), "customers", "").await.0, 400);
        let res = app.gql_as(Some(&agent), "query { importJobs { id } }", json!({})).await;
        assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
        assert_eq!(count_of(&app, "SELECT COUNT(*) FROM import_jobs").await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_the_size_limit_is_refused() {
    let app =
        crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| c.import_max_bytes = 100).await.unwrap();
    let big = format!("phone\n{}", "0906000001\n".repeat(20));
    let (status, body) = upload_as(&app, Some(&app.token()), "customers", &big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(count_of(&app, "SELECT COUNT(*) FROM import_jobs").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_import_resumes_from_its_last_committed_line_after_a_restart() {
    let app =
        crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| c.import_batch_rows = 2).await.unwrap();
    let csv = "phone,name\n0906010001,A\n0906010002,B\n0906010003,C\n0906010004,D\n0906010005,E\n";
    let id = upload(&app, "customers", csv).await;
    // As if a server died after committing the first batch (2 rows): the
    // job is RUNNING, its lease ran out, the resume point after line 3.
    crm360::imports::file(
        &app.ctx,
        ImportKind::Customers,
        &write("first.csv", "phone,name\n0906010001,A\n0906010002,B\n"),
        None,
        false,
    )
    .await
    .unwrap();
    let byte = "phone,name\n0906010001,A\n0906010002,B\n".len();
    app.exec(&format!(
        "UPDATE import_jobs SET status = 'RUNNING', rows_read = 2, created = 2, resume_byte = {byte}, resume_line = 4, \
         lease_until = '2000-01-01T00:00:00+00:00' WHERE id = {id}"
    ))
    .await;
    let app = app.restart(|c| c.import_batch_rows = 2).await;
    let job = finished(&app, &id).await;
    assert_eq!(
        (job["status"].as_str(), job["rowsRead"].as_u64(), job["created"].as_u64(), job["existing"].as_u64()),
        (Some("COMPLETED"), Some(5), Some(5), Some(0)),
        "{job}"
    );
    assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 5);
}

mod import_csv {
    use super::*;

    crate::on_both! {
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
            assert_eq!(count_of(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'import.customers' AND actor LIKE 'user:%'").await, 1);

            let res = app.gql(IMPORT, json!({ "k": "ORDERS", "c": "phone,amount\n0906400001,1000\n" })).await;
            assert_eq!((code(&res), crate::helpers::field(&res)), (Some("BAD_USER_INPUT"), Some("csv")), "{res}");
            assert!(res["errors"][0]["message"].as_str().unwrap_or("").contains("external_id"), "{res}");
            let big = format!("phone\n{}", "0906400009\n".repeat(2_001));
            let res = app.gql(IMPORT, json!({ "k": "CUSTOMERS", "c": big })).await;
            assert_eq!((code(&res), crate::helpers::field(&res)), (Some("BAD_USER_INPUT"), Some("csv")), "{res}");
            let (_, agent) = app.staff("AGENT").await;
            let res = app.gql_as(Some(&agent), IMPORT, json!({ "k": "CUSTOMERS", "c": chunk })).await;
            assert_eq!(code(&res), Some("FORBIDDEN"), "{res}");
            assert_eq!(count_of(&app, "SELECT COUNT(*) FROM customers").await, 3, "nothing was added by the refused calls");
        }
    }
}
