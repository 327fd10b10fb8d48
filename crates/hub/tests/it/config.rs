//! Configuration URLs: what is accepted and what is refused.

use std::path::PathBuf;

use tumbler_hub::config::{ConfigError, DatabaseConfig, MqttConfig};

#[test]
fn database_urls() {
    assert_eq!(
        DatabaseConfig::parse("sqlite://data/hub.db").unwrap(),
        DatabaseConfig::Sqlite {
            path: PathBuf::from("data/hub.db")
        }
    );
    assert_eq!(
        DatabaseConfig::parse("sqlite:///abs/hub.db?mode=ro").unwrap(),
        DatabaseConfig::Sqlite {
            path: PathBuf::from("/abs/hub.db")
        }
    );
    assert!(matches!(
        DatabaseConfig::parse("postgres://u@h/db").unwrap(),
        DatabaseConfig::Postgres { .. }
    ));
    assert!(matches!(
        DatabaseConfig::parse("postgresql://u@h/db").unwrap(),
        DatabaseConfig::Postgres { .. }
    ));
    assert_eq!(
        DatabaseConfig::parse("mysql://x"),
        Err(ConfigError::UnsupportedDatabase)
    );
    assert_eq!(
        DatabaseConfig::parse("sqlite://"),
        Err(ConfigError::EmptyPath)
    );
}

#[test]
fn mqtt_urls() {
    assert_eq!(MqttConfig::parse("builtin").unwrap(), MqttConfig::Builtin);
    assert_eq!(
        MqttConfig::parse("mqtt://127.0.0.1:1883").unwrap(),
        MqttConfig::External {
            host: "127.0.0.1".into(),
            port: 1883,
            login: None,
            tls: None,
        }
    );
    assert_eq!(
        MqttConfig::parse("mqtt://broker.local").unwrap(),
        MqttConfig::External {
            host: "broker.local".into(),
            port: 1883,
            login: None,
            tls: None,
        }
    );
    assert_eq!(
        MqttConfig::parse("mqtt://[::1]:1884").unwrap(),
        MqttConfig::External {
            host: "::1".into(),
            port: 1884,
            login: None,
            tls: None,
        }
    );
    assert_eq!(
        MqttConfig::parse("tcp://broker.local:1885/").unwrap(),
        MqttConfig::External {
            host: "broker.local".into(),
            port: 1885,
            login: None,
            tls: None,
        }
    );
    for bad in [
        "",
        "mqtts://x:1?ca=",
        "mqtts://x:1?crt=/a",
        "mqtt://h?ca=/a",
        "mqtt://user@h",
        "mqtt://:pw@h",
        "mqtt://:1883",
        "mqtt://h:notaport",
        "mqtt://h:99999",
        "amqp://h",
        "mqtt://h:1883/topic",
        "mqtt://h:1883?x=1",
        "broker.local:1883",
    ] {
        assert_eq!(
            MqttConfig::parse(bad),
            Err(ConfigError::UnsupportedMqtt),
            "{bad}"
        );
    }
}

#[test]
fn mqtt_urls_with_login_and_tls() {
    use tumbler_hub::config::{MqttLogin, MqttTls};
    let c = MqttConfig::parse("mqtts://hub:p%40ss@broker.local?ca=/etc/ca.pem").unwrap();
    assert_eq!(
        c,
        MqttConfig::External {
            host: "broker.local".into(),
            port: 8883,
            login: Some(MqttLogin {
                username: "hub".into(),
                password: "p@ss".to_owned().into(),
            }),
            tls: Some(MqttTls {
                ca_file: Some("/etc/ca.pem".into()),
            }),
        }
    );
    // Never shown: not in Display, not in Debug.
    assert_eq!(c.to_string(), "mqtts://hub:***@broker.local:8883");
    assert!(!format!("{c:?}").contains("p@ss"), "{c:?}");
    let plain = MqttConfig::parse("mqtt://u:secret@10.0.0.1:1884").unwrap();
    assert_eq!(plain.to_string(), "mqtt://u:***@10.0.0.1:1884");
    assert!(!format!("{plain:?}").contains("secret"));
}

#[test]
fn mqtt_topics() {
    use tumbler_hub::mqtt::{down_topic, parse_topic, Channel};
    assert_eq!(
        parse_topic("tumbler/v1/SN-1/up"),
        Some(("SN-1", Channel::Up))
    );
    assert_eq!(
        parse_topic("tumbler/v1/SN_2/status"),
        Some(("SN_2", Channel::Status))
    );
    for bad in [
        "tumbler/v1/SN-1/down",
        "tumbler/v2/SN/up",
        "tumbler/v1//up",
        "tumbler/v1/a/b/up",
        "tumbler/v1/a+b/up",
        "x",
    ] {
        assert_eq!(parse_topic(bad), None, "{bad}");
    }
    assert_eq!(down_topic("SN-1"), "tumbler/v1/SN-1/down");
}
