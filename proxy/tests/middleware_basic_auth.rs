//! basicAuth through the engine, with users from an htpasswd file.

mod common;

use common::*;

#[tokio::test]
async fn users_file_guards_the_router() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("htpasswd");
    // test:test (apr1, from Traefik's tests) and a SHA1 entry for "test" too.
    std::fs::write(
        &file,
        "# users\ntest:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/\nsha:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n",
    )
    .expect("write");
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", middlewares: [auth], service: s}}}}
  middlewares: {{auth: {{basicAuth: {{usersFile: "{}", headerField: X-User, removeHeader: true}}}}}}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}}}
"#,
            file.display(),
            backend.url()
        ))
        .await;
    let (status, headers, body) = get(&client(), &proxy.url("web", "/"), "h").await;
    assert_eq!((status, body.as_str()), (401, "401 Unauthorized\n"));
    assert_eq!(headers.get("www-authenticate").map(|v| v.as_bytes()), Some(&b"Basic realm=\"traefik\""[..]));

    for (user, password) in [("test", "test"), ("sha", "test")] {
        let resp = client()
            .get(proxy.url("web", "/"))
            .header("host", "h")
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200, "{user}");
        let seen = json(&resp.text().await.expect("body"));
        assert_eq!(seen["headers"]["x-user"], user);
        assert!(seen["headers"].get("authorization").is_none(), "removeHeader");
    }
    let resp = client().get(proxy.url("web", "/")).header("host", "h").basic_auth("test", Some("nope")).send().await;
    assert_eq!(resp.expect("request").status(), 401);
}
