//! Builds the staff single-page app and hands it to the server.
//!
//! 1. A nested `cargo build -p crm360-frontend --target wasm32-unknown-unknown
//!    --profile wasm-release` into `target/spa-build` (adding the wasm32
//!    target with rustup first if this toolchain lacks it).
//! 2. wasm-bindgen (the `wasm-bindgen-cli-support` crate, so no CLI to
//!    install; "web" output) with content-hashed file names, cached per hash
//!    in `target/spa-build/bindgen-v1/<hash>/`.
//! 3. `target/spa-dist/`: those files, the hashed boot script
//!    (`frontend/boot.js`), the hashed stylesheet (`style.css`
//!    followed by each screen's `src/screens/*/style.css`) and
//!    `index.html` (from `frontend/index.html` and `frontend/style.css`).
//!
//! The server embeds that folder with rust-embed through
//! `CRM360_SPA_DIR`. Both folders sit at fixed places in the workspace, not
//! under `OUT_DIR`, so `cargo build`, `cargo test` and `cargo run --release`
//! share one wasm build instead of each paying for a cold one.
//!
//! `CRM360_SKIP_SPA=1` skips all of this and embeds a one-page placeholder,
//! for backend-only work.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const FRONTEND_PACKAGE: &str = "crm360-frontend";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";
const SKIP_VAR: &str = "CRM360_SKIP_SPA";
/// Bump when the wasm-bindgen options below change, to drop cached output.
const BINDGEN_CACHE: &str = "bindgen-v1";

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("the backend crate lives inside the workspace").to_path_buf();
    let frontend = workspace.join("frontend");

    println!("cargo:rerun-if-env-changed={SKIP_VAR}");
    for input in [
        frontend.join("src"),
        frontend.join("Cargo.toml"),
        frontend.join("index.html"),
        frontend.join("boot.js"),
        frontend.join("style.css"),
        // Dependency versions and the `wasm-release` profile.
        workspace.join("Cargo.toml"),
        workspace.join("Cargo.lock"),
        // The wasm rustflags (`erase_components`).
        workspace.join(".cargo").join("config.toml"),
    ] {
        println!("cargo:rerun-if-changed={}", input.display());
    }

    write_spa_operations(&frontend.join("src"), &PathBuf::from(env("OUT_DIR")));

    let dist = if skip_requested() {
        println!("cargo:warning={SKIP_VAR} is set: the server will serve a placeholder instead of the SPA");
        write_placeholder(&PathBuf::from(env("OUT_DIR")).join("spa-skipped"))
    } else {
        build_spa(&workspace, &frontend)
    };
    println!("cargo:rustc-env=CRM360_SPA_DIR={}", dist.display());
}

/// `$OUT_DIR/spa_operations.rs`: the SPA's `*.graphql` documents as
/// `&[(path under src, include_str!(…))]`, for the persisted-query safelist
/// (`crate::http::persisted`). Written even when the SPA build is skipped.
fn write_spa_operations(src: &Path, out_dir: &Path) {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "graphql") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    for file in &files {
        let rel = file.strip_prefix(src).unwrap_or(file).to_string_lossy().replace('\\', "/");
        let _ = writeln!(code, "    ({rel:?}, include_str!({:?})),", file.display().to_string());
    }
    code.push(']');
    fs::write(out_dir.join("spa_operations.rs"), code).expect("write spa_operations.rs");
}

fn skip_requested() -> bool {
    std::env::var(SKIP_VAR).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
}

/// Runs the three steps; returns the absolute path of the finished folder.
fn build_spa(workspace: &Path, frontend: &Path) -> PathBuf {
    let target_root = workspace.join("target");
    let build_dir = target_root.join("spa-build");
    let dist = target_root.join("spa-dist");

    let started = Instant::now();
    let wasm = cargo_build_wasm(workspace, &build_dir);
    let compiled = started.elapsed();

    let wasm_bytes = read(&wasm);
    let hash = fingerprint(&wasm_bytes);
    let stem = format!("crm360-{hash}");
    let bindgen_dir = build_dir.join(BINDGEN_CACHE).join(&hash);
    if !bindgen_dir.join(format!("{stem}_bg.wasm")).is_file() {
        run_wasm_bindgen(&wasm, &stem, &bindgen_dir);
    }

    assemble_dist(frontend, &bindgen_dir, &stem, &dist);
    eprintln!(
        "SPA ready in {} (wasm build {:.1}s, total {:.1}s)",
        dist.display(),
        compiled.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    dist
}

/// The nested cargo: builds the frontend for the browser and returns the
/// path of the `.wasm` it produced.
fn cargo_build_wasm(workspace: &Path, build_dir: &Path) -> PathBuf {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    ensure_wasm_target(&rustc);

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--locked", "--package", FRONTEND_PACKAGE])
        .args(["--target", WASM_TARGET, "--profile", WASM_PROFILE])
        .arg("--target-dir")
        .arg(build_dir)
        // Build script stdout is parsed by cargo: keep the nested output on
        // stderr, where cargo shows it if this script fails.
        .stdout(Stdio::from(io::stderr()))
        .stderr(Stdio::inherit());
    clear_outer_cargo_env(&mut command);

    let status = command.status().unwrap_or_else(|e| fail(format_args!("cannot run cargo for the frontend: {e}")));
    if !status.success() {
        fail(format_args!(
            "building {FRONTEND_PACKAGE} for {WASM_TARGET} failed ({status}); its output is above.\n\
             Set {SKIP_VAR}=1 to build the server without the SPA."
        ));
    }

    let wasm = build_dir.join(WASM_TARGET).join(WASM_PROFILE).join(format!("{FRONTEND_PACKAGE}.wasm"));
    if !wasm.is_file() {
        fail(format_args!("the frontend build produced no {}", wasm.display()));
    }
    wasm
}

/// Variables the outer cargo sets for this build script that would change
/// what the nested cargo does (flags for the host, our package's metadata,
/// the outer target dir, ...).
fn clear_outer_cargo_env(command: &mut Command) {
    const EXACT: &[&str] = &[
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "TARGET",
        "HOST",
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "NUM_JOBS",
        "OUT_DIR",
    ];
    const PREFIXES: &[&str] = &["CARGO_FEATURE_", "CARGO_CFG_", "CARGO_PKG_", "CARGO_MANIFEST_", "DEP_", "__CARGO"];
    for (key, _) in std::env::vars_os() {
        let Some(name) = key.to_str() else { continue };
        if EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p)) {
            command.env_remove(&key);
        }
    }
}

/// Adds the wasm32 standard library to this toolchain if it is missing: a
/// fresh machine only has the host target.
fn ensure_wasm_target(rustc: &OsString) {
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if let Some(sysroot) = &sysroot
        && sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir()
    {
        return;
    }

    eprintln!("installing the {WASM_TARGET} target with rustup");
    let status = Command::new("rustup").args(["target", "add", WASM_TARGET]).stdout(Stdio::from(io::stderr())).status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => fail(format_args!("`rustup target add {WASM_TARGET}` failed ({status})")),
        Err(e) => fail(format_args!(
            "the {WASM_TARGET} target is missing and rustup cannot be run ({e}); \
             install the target for this toolchain, or set {SKIP_VAR}=1"
        )),
    }
}

/// wasm-bindgen, "web" flavour: `<stem>.js` loads `<stem>_bg.wasm`.
fn run_wasm_bindgen(wasm: &Path, stem: &str, out_dir: &Path) {
    // Older builds of other versions are of no further use.
    if let Some(parent) = out_dir.parent() {
        let _ = fs::remove_dir_all(parent);
    }
    create_dir(out_dir);
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen.input_path(wasm).out_name(stem).typescript(false).remove_name_section(true).remove_producers_section(true);
    bindgen
        .web(true)
        .and_then(|b| b.generate(out_dir))
        .unwrap_or_else(|e| fail(format_args!("wasm-bindgen failed: {e:#}")));
}

/// Fills `dist` with the bindgen output, the hashed stylesheet and
/// `index.html`, replacing whatever was there.
fn assemble_dist(frontend: &Path, bindgen_dir: &Path, stem: &str, dist: &Path) {
    let css = stylesheet(frontend);
    let style = format!("style-{}.css", fingerprint(&css));
    let script = format!("{stem}.js");
    let wasm = format!("{stem}_bg.wasm");
    let fill = |name: &str, boot: &str| {
        String::from_utf8(read(&frontend.join(name)))
            .unwrap_or_else(|_| fail(format_args!("frontend/{name} is not UTF-8")))
            .replace("{{STYLE}}", &style)
            .replace("{{SCRIPT}}", &script)
            .replace("{{WASM}}", &wasm)
            .replace("{{BOOT}}", boot)
    };
    let boot_js = fill("boot.js", "");
    let boot = format!("boot-{}.js", fingerprint(boot_js.as_bytes()));
    let index = fill("index.html", &boot);

    // Built next to `dist`, then swapped in, so that a server reading the
    // folder at run time (debug builds) never sees it half-written.
    let staging = dist.with_extension(format!("tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    copy_dir(bindgen_dir, &staging);
    write(&staging.join(&style), &css);
    write(&staging.join(&boot), boot_js.as_bytes());
    write(&staging.join("index.html"), index.as_bytes());
    replace_dir(&staging, dist);
}

/// `frontend/style.css`, then each screen's own `style.css`
/// (`frontend/src/screens/<screen>/style.css`) in the screens' name order.
fn stylesheet(frontend: &Path) -> Vec<u8> {
    let mut css = read(&frontend.join("style.css"));
    let screens = frontend.join("src").join("screens");
    let mut sheets: Vec<PathBuf> = fs::read_dir(&screens)
        .unwrap_or_else(|e| fail(format_args!("cannot list {}: {e}", screens.display())))
        .filter_map(|entry| Some(entry.ok()?.path().join("style.css")))
        .filter(|path| path.is_file())
        .collect();
    sheets.sort();
    for sheet in sheets {
        let name = sheet.strip_prefix(frontend).unwrap_or(&sheet).display().to_string();
        css.extend_from_slice(format!("\n/* ---- {name} ---- */\n").as_bytes());
        css.extend_from_slice(&read(&sheet));
    }
    css
}

/// Writes a stand-in `index.html` for `CRM360_SKIP_SPA` builds.
fn write_placeholder(dir: &Path) -> PathBuf {
    create_dir(dir);
    let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>crm360</title></head>\n<body style=\"font-family:system-ui,sans-serif;margin:3rem\">\
        <h1>crm360</h1><p>The web app was not built: this server was compiled with \
        <code>CRM360_SKIP_SPA</code> set. The GraphQL API is at <a href=\"/graphql\">/graphql</a>.</p>\
        </body></html>\n";
    write(&dir.join("index.html"), page.as_bytes());
    dir.to_path_buf()
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable content fingerprint for file
/// names (not a security measure).
fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    let mut hex = String::with_capacity(16);
    write!(hex, "{hash:016x}").expect("writing to a String cannot fail");
    hex
}

fn copy_dir(from: &Path, to: &Path) {
    create_dir(to);
    let entries = fs::read_dir(from).unwrap_or_else(|e| fail(format_args!("cannot read {}: {e}", from.display())));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| fail(format_args!("cannot read {}: {e}", from.display())));
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if let Err(e) = fs::copy(&path, &target) {
            fail(format_args!("cannot copy {} to {}: {e}", path.display(), target.display()));
        }
    }
}

fn replace_dir(staging: &Path, dist: &Path) {
    // Two builds (say debug and release) may finish at the same time; the
    // last one to rename wins, and both produce the same files.
    for _ in 0..3 {
        match fs::remove_dir_all(dist) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => fail(format_args!("cannot clear {}: {e}", dist.display())),
        }
        if fs::rename(staging, dist).is_ok() {
            return;
        }
    }
    fail(format_args!("cannot move {} to {}", staging.display(), dist.display()));
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(format_args!("cargo did not set {name}")))
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| fail(format_args!("cannot read {}: {e}", path.display())))
}

fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = fs::write(path, bytes) {
        fail(format_args!("cannot write {}: {e}", path.display()));
    }
}

fn create_dir(path: &Path) {
    if let Err(e) = fs::create_dir_all(path) {
        fail(format_args!("cannot create {}: {e}", path.display()));
    }
}

/// Stops the build with a message cargo shows under the failing script.
fn fail(message: std::fmt::Arguments<'_>) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
