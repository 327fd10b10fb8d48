//! The SQLite file itself: reopening keeps the data, the files are owner-only,
//! and migrations upgrade what older hubs left.

use tumbler_hub::store::Store;

use super::T0;

/// Reopening an SQLite file keeps the data and re-running migrations is a no-op.
#[tokio::test]
async fn sqlite_reopen_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tumbler_hub::config::DatabaseConfig::Sqlite {
        path: dir.path().join("a/b/hub.db"),
    };
    let opts = tumbler_hub::store::StoreOptions::new(cfg);
    let store = Store::open(opts.clone()).await.unwrap();
    let o = store.create_org("Keep", T0).await.unwrap();
    store.close().await;
    let store = Store::open(opts).await.unwrap();
    assert_eq!(store.get_org(o.id).await.unwrap().unwrap().name, "Keep");
}

/// The database holds password hashes and sealed bindings: the SQLite file and its WAL and
/// shared-memory files are owner-only (0600), also when an older run left them 0644 (issue 13).
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let side = |s: &str| dir.path().join(format!("hub.db{s}"));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let opts = tumbler_hub::store::StoreOptions::new(tumbler_hub::config::DatabaseConfig::Sqlite {
        path: db.clone(),
    });
    let store = Store::open(opts.clone()).await.unwrap();
    store.create_org("Private", T0).await.unwrap();
    for p in [db.clone(), side("-wal"), side("-shm")] {
        assert!(p.exists(), "{} missing (WAL mode)", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    store.close().await;
    // A database an older build created world-readable is tightened at the next open.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(opts).await.unwrap();
    store.create_org("Again", T0).await.unwrap();
    assert_eq!(mode(&db), 0o600);
    for s in ["-wal", "-shm"] {
        let p = side(s);
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}

/// Tokens made before tokens had a default lifetime (issue 13) never expired: the
/// upgrade gives each one 30 days from the upgrade, so nobody is cut off at once and
/// none lives for ever (migration 0012).
#[tokio::test]
#[allow(clippy::disallowed_methods)] // the migration reads the database's own clock
async fn tokens_without_an_expiry_get_one_at_the_upgrade() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
    use sqlx::Row;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let opts = tumbler_hub::store::StoreOptions::new(tumbler_hub::config::DatabaseConfig::Sqlite {
        path: db.clone(),
    });
    Store::open(opts.clone()).await.unwrap().close().await;
    // As an older hub left it: an API token with no expiry, migration 0012 not applied.
    let raw = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&db)
            .foreign_keys(false),
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO tokens (account_id, kind, token_hash, label, created_at, expires_at) \
         VALUES (1, 'api', 'h', 'old', 0, NULL)",
    )
    .execute(&raw)
    .await
    .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 12")
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let before = jiff::Timestamp::now().as_millisecond();
    Store::open(opts).await.unwrap().close().await;
    let after = jiff::Timestamp::now().as_millisecond();
    let raw = SqlitePool::connect_with(SqliteConnectOptions::new().filename(&db))
        .await
        .unwrap();
    let expires: Option<i64> = sqlx::query("SELECT expires_at FROM tokens WHERE label = 'old'")
        .fetch_one(&raw)
        .await
        .unwrap()
        .get(0);
    let month = 30 * 86_400_000;
    let expires = expires.expect("the old token now expires");
    assert!(
        (before / 1000 * 1000 + month..=after + month).contains(&expires),
        "30 days from the upgrade: {expires}"
    );
}
