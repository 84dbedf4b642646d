//! The path and redirect middlewares (stripPrefixRegex, replacePath, replacePathRegex,
//! redirectRegex) through the engine: what the backend receives and what the client is told.

mod common;

use common::*;

#[tokio::test]
async fn rewrites_reach_the_backend() {
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers:
    strip: {{rule: "PathPrefix(`/api`)", middlewares: [strip], service: s}}
    replace: {{rule: "PathPrefix(`/old`)", middlewares: [replace], service: s}}
    regex: {{rule: "PathPrefix(`/users`)", middlewares: [regex], service: s}}
    moved: {{rule: "Host(`old.example`)", middlewares: [moved], service: s}}
  middlewares:
    strip: {{stripPrefixRegex: {{regex: ["/api/v[0-9]+"]}}}}
    replace: {{replacePath: {{path: "/new"}}}}
    regex: {{replacePathRegex: {{regex: "^/users/([^/]+)", replacement: "/profile?user=$1"}}}}
    moved: {{redirectRegex: {{regex: "^http://old\\.example/(.*)", replacement: "https://new.example/$1", permanent: true}}}}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}}}
"#,
            backend.url()
        ))
        .await;
    let c = client();
    let (status, _, body) = get(&c, &proxy.url("web", "/api/v2/items?page=3"), "h").await;
    assert_eq!(status, 200);
    let seen = json(&body);
    assert_eq!(seen["uri"], "/items?page=3");
    assert_eq!(seen["headers"]["x-forwarded-prefix"], "/api/v2");

    let seen = json(&get(&c, &proxy.url("web", "/old/page?q=1"), "h").await.2);
    assert_eq!(seen["uri"], "/new?q=1");
    assert_eq!(seen["headers"]["x-replaced-path"], "/old/page");

    // The replacement's `?` is part of the path, escaped, as with Traefik.
    let seen = json(&get(&c, &proxy.url("web", "/users/ann"), "h").await.2);
    assert_eq!(seen["uri"], "/profile%3Fuser=ann");
    assert_eq!(seen["headers"]["x-replaced-path"], "/users/ann");

    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let (status, headers, body) = get(&no_redirects, &proxy.url("web", "/a/b?c=d"), "old.example").await;
    assert_eq!((status, body.as_str()), (301, "Moved Permanently"));
    assert_eq!(headers.get("location").map(|v| v.as_bytes()), Some(&b"https://new.example/a/b?c=d"[..]));
}
