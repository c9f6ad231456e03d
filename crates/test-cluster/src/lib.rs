//! A real Kubernetes control plane for tests and benchmarks, in the spirit
//! of controller-runtime's envtest: etcd and kube-apiserver on free loopback
//! ports, certificates made here (`rcgen`), a kubeconfig and a `kubectl`
//! runner, namespaces with their `default` ServiceAccount, and everything
//! stopped when the [`Cluster`] is dropped.
//!
//! **One cluster per run.** Start it from the thread that outlives it (a
//! test binary's `main`, see `tests/tests/cluster/main.rs`): the processes
//! are started under `setpriv --pdeathsig KILL`, so they also end when that
//! thread ends, even if the test process is killed and nothing is dropped.
//!
//! The binaries are found through `KUBE_APISERVER`, `KUBECTL` and `ETCD`,
//! else in the cache `scripts/setup.sh` fills
//! (`~/.cache/kube-immutable/kubernetes/`, from `../shared/tools/kubernetes/`)
//! and `etcd` on `PATH` (Debian's `etcd-server`). Without them, [`Tools::find`]
//! says what is missing, and tests print it and skip.

pub mod manifests;

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use serde_json::{json, Value};

/// The Kubernetes version the harness is tested with (the shared tools).
pub const KUBERNETES_VERSION: &str = "v1.36.2";

/// The three programs a cluster needs.
#[derive(Debug, Clone)]
pub struct Tools {
    pub apiserver: PathBuf,
    pub kubectl: PathBuf,
    pub etcd: PathBuf,
}

impl Tools {
    /// Finds the programs, or says which are missing and how to get them.
    pub fn find() -> Result<Self, String> {
        let cache = cache_dir();
        let apiserver = find_tool("KUBE_APISERVER", "kube-apiserver", cache.as_deref());
        let kubectl = find_tool("KUBECTL", "kubectl", cache.as_deref());
        let etcd = find_tool("ETCD", "etcd", None);
        match (apiserver, kubectl, etcd) {
            (Some(apiserver), Some(kubectl), Some(etcd)) => Ok(Self {
                apiserver,
                kubectl,
                etcd,
            }),
            (apiserver, kubectl, etcd) => {
                let mut missing = Vec::new();
                if apiserver.is_none() {
                    missing.push("kube-apiserver (KUBE_APISERVER)");
                }
                if kubectl.is_none() {
                    missing.push("kubectl (KUBECTL)");
                }
                if etcd.is_none() {
                    missing.push("etcd (ETCD)");
                }
                Err(format!(
                    "no Kubernetes API server to test against: {} not found. \
                     scripts/setup.sh unpacks kube-apiserver and kubectl from ../shared/tools/kubernetes/ \
                     into ~/.cache/kube-immutable/kubernetes/ and installs Debian's etcd-server",
                    missing.join(", ")
                ))
            }
        }
    }
}

/// `~/.cache/kube-immutable/kubernetes` (or under `XDG_CACHE_HOME`).
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kube-immutable").join("kubernetes"))
}

fn find_tool(env: &str, name: &str, cache: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    if let Some(path) = cache.map(|c| c.join(name)).filter(|p| p.is_file()) {
        return Some(path);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A user of the cluster: a client certificate and a kubeconfig that uses it.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
    pub kubeconfig: PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

/// A serving certificate for a webhook on 127.0.0.1, signed by the cluster's CA.
#[derive(Debug, Clone)]
pub struct ServingCert {
    pub cert_pem: String,
    pub key_pem: String,
}

/// What the API server answered.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The `Warning` headers' texts (what kubectl prints as `Warning: ...`).
    pub warnings: Vec<String>,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A `Status`'s message, or the body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .map_or_else(|| self.body.clone(), ToOwned::to_owned)
    }
}

/// Where a kind is served: the REST path segment and whether it is namespaced.
#[derive(Debug, Clone)]
struct Resource {
    plural: String,
    namespaced: bool,
}

/// A running etcd and kube-apiserver; both stop when this is dropped.
#[derive(Debug)]
pub struct Cluster {
    dir: tempfile::TempDir,
    tools: Tools,
    etcd: Option<Child>,
    apiserver: Option<Child>,
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    ca_params: CertificateParams,
    ca_key: KeyPair,
    ca_pem: String,
    admin: User,
    agent: ureq::Agent,
    resources: Mutex<HashMap<(String, String), Option<Resource>>>,
    users: Mutex<usize>,
}

/// Give up starting after this long (2 busy cores: 3–10 s is usual).
const START_TIMEOUT: Duration = Duration::from_secs(90);

impl Cluster {
    /// Starts etcd, then the API server, and waits until it is ready.
    pub fn start(tools: &Tools) -> Result<Self, String> {
        // A free port can be taken between our probe and the servers' bind:
        // start again on other ports then.
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(tools) {
                Ok(cluster) => return Ok(cluster),
                Err(e) if e.contains("address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn start_once(tools: &Tools) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("kube-immutable-cluster-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let root = dir.path().to_owned();

        // Certificates: a CA, the API server's serving certificate, an
        // administrator's client certificate, and a service-account key.
        let (ca_params, ca_key, ca_pem) = new_ca()?;
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let (serving_pem, serving_key) = leaf(
            &issuer,
            "kube-apiserver",
            &[],
            &["127.0.0.1", "localhost", "10.96.0.1"],
            true,
        )?;
        let sa_key = KeyPair::generate().map_err(|e| format!("service-account key: {e}"))?;
        write(&root.join("ca.crt"), &ca_pem)?;
        write(&root.join("apiserver.crt"), &serving_pem)?;
        write(&root.join("apiserver.key"), &serving_key)?;
        write(&root.join("sa.key"), &sa_key.serialize_pem())?;
        write(&root.join("sa.pub"), &sa_key.public_key_pem())?;

        let [etcd_port, peer_port, api_port] = free_ports()?;
        let url = format!("https://127.0.0.1:{api_port}");
        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let etcd = spawn(
            &tools.etcd,
            &[
                "--name=test".to_owned(),
                format!("--data-dir={}", root.join("etcd").display()),
                format!("--listen-client-urls={etcd_url}"),
                format!("--advertise-client-urls={etcd_url}"),
                format!("--listen-peer-urls={peer_url}"),
                format!("--initial-advertise-peer-urls={peer_url}"),
                format!("--initial-cluster=test={peer_url}"),
                "--listen-metrics-urls=".to_owned(),
                "--log-level=error".to_owned(),
                // A test cluster's data is thrown away: no fsync per write.
                "--unsafe-no-fsync".to_owned(),
            ],
            &root.join("etcd.log"),
        )?;
        let mut cluster_parts = Parts {
            etcd: Some(etcd),
            apiserver: None,
        };
        let plain = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(5)))
                .build(),
        );
        let started = Instant::now();
        loop {
            if let Ok(mut r) = plain.get(format!("{etcd_url}/health")).call() {
                if r.body_mut()
                    .read_to_string()
                    .is_ok_and(|b| b.contains("true"))
                {
                    break;
                }
            }
            cluster_parts.check_running("etcd", &root.join("etcd.log"))?;
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "etcd did not become healthy in {START_TIMEOUT:?}: {}",
                    tail(&root.join("etcd.log"))
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }

        let apiserver = spawn(
            &tools.apiserver,
            &[
                format!("--etcd-servers={etcd_url}"),
                "--bind-address=127.0.0.1".to_owned(),
                "--advertise-address=127.0.0.1".to_owned(),
                format!("--secure-port={api_port}"),
                "--endpoint-reconciler-type=none".to_owned(),
                format!("--tls-cert-file={}", root.join("apiserver.crt").display()),
                format!("--tls-private-key-file={}", root.join("apiserver.key").display()),
                format!("--client-ca-file={}", root.join("ca.crt").display()),
                "--service-account-issuer=https://kubernetes.default.svc".to_owned(),
                format!("--service-account-key-file={}", root.join("sa.pub").display()),
                format!(
                    "--service-account-signing-key-file={}",
                    root.join("sa.key").display()
                ),
                "--service-cluster-ip-range=10.96.0.0/24".to_owned(),
                "--authorization-mode=RBAC".to_owned(),
                // As kubeadm clusters: otherwise every privileged container
                // is refused before any policy runs.
                "--allow-privileged=true".to_owned(),
                format!("--cert-dir={}", root.join("certs").display()),
                // Webhooks are called on 127.0.0.1 (policy-server).
                "--enable-admission-plugins=ValidatingAdmissionWebhook,MutatingAdmissionWebhook,ValidatingAdmissionPolicy".to_owned(),
            ],
            &root.join("apiserver.log"),
        )?;
        cluster_parts.apiserver = Some(apiserver);

        let admin_identity = leaf(&issuer, "admin", &["system:masters"], &[], false)?;
        let agent = agent_for(&ca_pem, &admin_identity.0, &admin_identity.1)?;
        loop {
            if let Ok(mut r) = agent.get(format!("{url}/readyz")).call() {
                if r.status() == 200 {
                    let _ = r.body_mut().read_to_string();
                    break;
                }
            }
            cluster_parts.check_running("kube-apiserver", &root.join("apiserver.log"))?;
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "kube-apiserver was not ready in {START_TIMEOUT:?}: {}",
                    tail(&root.join("apiserver.log"))
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }

        let admin = write_user(
            &root,
            &url,
            "admin",
            &["system:masters".to_owned()],
            admin_identity,
        )?;
        // Started: from now on the cluster's `Drop` stops them.
        let (etcd, apiserver) = (cluster_parts.etcd.take(), cluster_parts.apiserver.take());
        Ok(Self {
            dir,
            tools: tools.clone(),
            etcd,
            apiserver,
            url,
            ca_params,
            ca_key,
            ca_pem,
            admin,
            agent,
            resources: Mutex::new(HashMap::new()),
            users: Mutex::new(0),
        })
    }

    /// The cluster's temporary directory (logs, certificates, kubeconfigs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA every certificate of the cluster is signed by (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The administrator (`system:masters`).
    pub fn admin(&self) -> &User {
        &self.admin
    }

    /// The tools the cluster runs.
    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    /// The API server's process id (benchmarks read its CPU time in `/proc`).
    pub fn apiserver_pid(&self) -> Option<u32> {
        self.apiserver.as_ref().map(Child::id)
    }

    /// The API server's log so far (its last lines), for a failure message.
    pub fn log_tail(&self) -> String {
        tail(&self.dir.path().join("apiserver.log"))
    }

    /// `kubectl` as the administrator.
    pub fn kubectl(&self) -> Command {
        self.kubectl_as(&self.admin)
    }

    /// `kubectl` as `user`.
    pub fn kubectl_as(&self, user: &User) -> Command {
        let mut command = Command::new(&self.tools.kubectl);
        command
            .env("KUBECONFIG", &user.kubeconfig)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("HOME", self.dir.path());
        command
    }

    /// Runs `kubectl ARGS` as the administrator, with `stdin` as input.
    pub fn run_kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_kubectl_as(&self.admin, args, stdin)
    }

    /// Runs `kubectl ARGS` as `user`, with `stdin` as input.
    pub fn run_kubectl_as(&self, user: &User, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.kubectl_as(user);
        command.args(args);
        run_with_stdin(&mut command, stdin)
    }

    /// A new user `name` in `groups`, with a client certificate signed by
    /// the cluster's CA (CN = name, O = each group) and a kubeconfig.
    pub fn user(&self, name: &str, groups: &[&str]) -> Result<User, String> {
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let identity = leaf(&issuer, name, groups, &[], false)?;
        let mut n = self.users.lock().map_err(|e| e.to_string())?;
        *n += 1;
        let dir = self.dir.path().join(format!("user-{n}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        write_user(&dir, &self.url, name, &groups, identity)
    }

    /// A ServiceAccount `namespace/name` (made if missing) as a user: a
    /// token from the TokenRequest API and a kubeconfig that uses it. Its
    /// requests carry the username `system:serviceaccount:NS:NAME`.
    pub fn service_account(&self, namespace: &str, name: &str) -> Result<User, String> {
        self.create_namespace(namespace, &[])?;
        let sa = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": { "name": name },
        });
        let r = self.request(
            "POST",
            &format!("/api/v1/namespaces/{namespace}/serviceaccounts"),
            Some(&sa),
        );
        if !r.ok() && r.status != 409 {
            return Err(format!(
                "ServiceAccount {namespace}/{name}: {} {}",
                r.status,
                r.message()
            ));
        }
        let request = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": { "expirationSeconds": 3600 },
        });
        let r = self.request(
            "POST",
            &format!("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"),
            Some(&request),
        );
        let token = r.json()["status"]["token"]
            .as_str()
            .map(ToOwned::to_owned)
            .ok_or_else(|| format!("token for {namespace}/{name}: {} {}", r.status, r.message()))?;
        let username = format!("system:serviceaccount:{namespace}:{name}");
        let dir = self.dir.path().join(format!("sa-{namespace}-{name}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let kubeconfig = dir.join("kubeconfig");
        let config = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{ "name": "test", "cluster": {
                "server": self.url,
                "certificate-authority": self.dir.path().join("ca.crt"),
            }}],
            "users": [{ "name": username, "user": { "token": token } }],
            "contexts": [{ "name": "test", "context": { "cluster": "test", "user": username } }],
            "current-context": "test",
        });
        write(&kubeconfig, &config.to_string())?;
        Ok(User {
            name: username,
            groups: vec!["system:serviceaccounts".to_owned()],
            kubeconfig,
            cert_pem: String::new(),
            key_pem: String::new(),
        })
    }

    /// Lets `subject` (`User`, `Group` or `ServiceAccount` `ns/name`) use
    /// `verbs` on `resources` (`[(apiGroup, resource)]`) in `namespace`: a
    /// Role and its RoleBinding named `name`.
    pub fn grant(
        &self,
        namespace: &str,
        name: &str,
        subject: (&str, &str),
        resources: &[(&str, &str)],
        verbs: &[&str],
    ) -> Result<(), String> {
        let rules: Vec<Value> = resources
            .iter()
            .map(|(group, resource)| json!({"apiGroups": [group], "resources": [resource], "verbs": verbs}))
            .collect();
        let role = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": { "name": name },
            "rules": rules,
        });
        let subject = match subject {
            ("ServiceAccount", who) => {
                let (ns, sa) = who.split_once('/').unwrap_or((namespace, who));
                json!({ "kind": "ServiceAccount", "name": sa, "namespace": ns })
            }
            (kind, who) => {
                json!({ "kind": kind, "name": who, "apiGroup": "rbac.authorization.k8s.io" })
            }
        };
        let binding = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": { "name": name },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name },
            "subjects": [subject],
        });
        for (collection, object) in [("roles", role), ("rolebindings", binding)] {
            let r = self.request(
                "POST",
                &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/{collection}"),
                Some(&object),
            );
            if !r.ok() && r.status != 409 {
                return Err(format!(
                    "{collection} {name} in {namespace}: {} {}",
                    r.status,
                    r.message()
                ));
            }
        }
        Ok(())
    }

    /// A serving certificate for `127.0.0.1` (and `localhost`), for a webhook.
    pub fn serving_cert(&self) -> Result<ServingCert, String> {
        let issuer = Issuer::from_params(&self.ca_params, &self.ca_key);
        let (cert_pem, key_pem) = leaf(&issuer, "webhook", &[], &["127.0.0.1", "localhost"], true)?;
        Ok(ServingCert { cert_pem, key_pem })
    }

    /// A request to the API server as the administrator; `body` is JSON.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let body = body.map(|b| b.to_string());
        self.raw_request(
            method,
            path,
            body.as_deref().map(|b| ("application/json", b.as_bytes())),
        )
    }

    /// A request with a body of any content type (`application/yaml`:
    /// the text as written, which kubectl never sends).
    pub fn raw_request(&self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Response {
        let url = format!("{}{path}", self.url);
        let builder = ureq::http::Request::builder().method(method).uri(&url);
        let result = match body {
            Some((content_type, bytes)) => builder
                .header("Content-Type", content_type)
                .body(bytes.to_vec())
                .map_err(ureq::Error::from)
                .and_then(|request| self.agent.run(request)),
            None => builder
                .body(())
                .map_err(ureq::Error::from)
                .and_then(|request| self.agent.run(request)),
        };
        match result {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let warnings = response
                    .headers()
                    .get_all("warning")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(warning_text)
                    .collect();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024 * 1024)
                    .read_to_string()
                    .unwrap_or_default();
                Response {
                    status,
                    body,
                    warnings,
                }
            }
            Err(e) => Response {
                status: 0,
                body: format!("request failed: {e}"),
                warnings: Vec::new(),
            },
        }
    }

    /// Creates a namespace with `labels` and its `default` ServiceAccount
    /// (no controller-manager runs to make it). An existing one is kept.
    pub fn create_namespace(&self, name: &str, labels: &[(&str, &str)]) -> Result<(), String> {
        let labels: serde_json::Map<String, Value> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        let ns = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": name, "labels": labels },
        });
        let r = self.request("POST", "/api/v1/namespaces", Some(&ns));
        if !r.ok() && r.status != 409 {
            return Err(format!("namespace {name}: {} {}", r.status, r.message()));
        }
        let sa = json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": { "name": "default" },
        });
        let r = self.request(
            "POST",
            &format!("/api/v1/namespaces/{name}/serviceaccounts"),
            Some(&sa),
        );
        if !r.ok() && r.status != 409 {
            return Err(format!(
                "default ServiceAccount in {name}: {} {}",
                r.status,
                r.message()
            ));
        }
        Ok(())
    }

    /// Creates `object` (any kind, namespaced or not) as the administrator;
    /// `dry_run` asks for a server-side dry run; field validation is strict
    /// (what kubectl asks for by default). A namespaced object goes to
    /// `namespace`, whatever its `metadata.namespace` says.
    pub fn create(&self, namespace: &str, object: &Value, dry_run: bool) -> Response {
        let Some(path) = self.collection_path(namespace, object) else {
            return Response {
                status: 0,
                body: format!(
                    "the API server serves no {} in {}",
                    object["kind"], object["apiVersion"]
                ),
                warnings: Vec::new(),
            };
        };
        let mut object = object.clone();
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            if meta.contains_key("namespace") {
                meta.insert("namespace".to_owned(), Value::from(namespace));
            }
        }
        let query = if dry_run {
            "?dryRun=All&fieldValidation=Strict"
        } else {
            "?fieldValidation=Strict"
        };
        self.request("POST", &format!("{path}{query}"), Some(&object))
    }

    /// The collection an object is created in (`/api/v1/namespaces/NS/pods`),
    /// found through the API server's discovery; `None` when the group and
    /// version or the kind is not served.
    pub fn collection_path(&self, namespace: &str, object: &Value) -> Option<String> {
        let api_version = object["apiVersion"].as_str()?;
        let kind = object["kind"].as_str()?;
        let resource = self.resource(api_version, kind)?;
        let base = if api_version.contains('/') {
            format!("/apis/{api_version}")
        } else {
            format!("/api/{api_version}")
        };
        Some(if resource.namespaced {
            format!("{base}/namespaces/{namespace}/{}", resource.plural)
        } else {
            format!("{base}/{}", resource.plural)
        })
    }

    fn resource(&self, api_version: &str, kind: &str) -> Option<Resource> {
        let key = (api_version.to_owned(), kind.to_owned());
        if let Some(found) = self.resources.lock().ok()?.get(&key) {
            return found.clone();
        }
        let path = if api_version.contains('/') {
            format!("/apis/{api_version}")
        } else {
            format!("/api/{api_version}")
        };
        let list = self.request("GET", &path, None).json();
        let mut map = self.resources.lock().ok()?;
        let mut found = None;
        for r in list["resources"].as_array().into_iter().flatten() {
            let name = r["name"].as_str().unwrap_or_default();
            if name.contains('/') {
                continue;
            }
            let resource = Resource {
                plural: name.to_owned(),
                namespaced: r["namespaced"].as_bool().unwrap_or(false),
            };
            let this_kind = r["kind"].as_str().unwrap_or_default();
            if this_kind == kind {
                found = Some(resource.clone());
            }
            map.insert(
                (api_version.to_owned(), this_kind.to_owned()),
                Some(resource),
            );
        }
        map.entry(key).or_insert(None);
        found
    }

    /// Forgets what discovery said (after creating a CRD).
    pub fn forget_discovery(&self) {
        if let Ok(mut map) = self.resources.lock() {
            map.clear();
        }
    }

    /// Polls `done` every 100 ms until it is `true` or `timeout` passes.
    pub fn wait_until(&self, timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
        let started = Instant::now();
        loop {
            if done() {
                return true;
            }
            if started.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The API server first, then etcd: its shutdown waits for etcd.
        Parts {
            etcd: self.etcd.take(),
            apiserver: self.apiserver.take(),
        }
        .stop();
    }
}

/// The processes while the cluster starts: stopped if starting fails.
struct Parts {
    etcd: Option<Child>,
    apiserver: Option<Child>,
}

impl Parts {
    fn check_running(&mut self, name: &str, log: &Path) -> Result<(), String> {
        let child = match name {
            "etcd" => self.etcd.as_mut(),
            _ => self.apiserver.as_mut(),
        };
        if let Some(Ok(Some(status))) = child.map(Child::try_wait) {
            return Err(format!("{name} exited ({status}): {}", tail(log)));
        }
        Ok(())
    }

    fn stop(&mut self) {
        for child in [self.apiserver.take(), self.etcd.take()]
            .into_iter()
            .flatten()
        {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `Warning` header values look like `299 - "text"`: the text.
fn warning_text(value: &str) -> String {
    let text = value
        .split_once(" - ")
        .map_or(value, |(_, rest)| rest)
        .trim();
    let text = text.strip_prefix('"').unwrap_or(text);
    let text = text.strip_suffix('"').unwrap_or(text);
    text.replace("\\\"", "\"").replace("\\\\", "\\")
}

fn agent_for(ca_pem: &str, cert_pem: &str, key_pem: &str) -> Result<ureq::Agent, String> {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
    let ca = Certificate::from_pem(ca_pem.as_bytes()).map_err(|e| format!("CA: {e}"))?;
    let cert = Certificate::from_pem(cert_pem.as_bytes()).map_err(|e| format!("cert: {e}"))?;
    let key = PrivateKey::from_pem(key_pem.as_bytes()).map_err(|e| format!("key: {e}"))?;
    let tls = TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&[ca]))
        .client_cert(Some(ClientCert::new_with_certs(&[cert], key)))
        .build();
    Ok(ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .max_idle_connections_per_host(8)
            .build(),
    ))
}

fn new_ca() -> Result<(CertificateParams, KeyPair, String), String> {
    let key = KeyPair::generate().map_err(|e| format!("CA key: {e}"))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-immutable test CA");
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    let cert = params.self_signed(&key).map_err(|e| format!("CA: {e}"))?;
    Ok((params, key, cert.pem()))
}

/// A certificate signed by the CA: CN `name`, O each group, and for a
/// server the SANs `hosts` (IP addresses or DNS names).
fn leaf(
    issuer: &Issuer<'_, &KeyPair>,
    name: &str,
    groups: &[&str],
    hosts: &[&str],
    server: bool,
) -> Result<(String, String), String> {
    let key = KeyPair::generate().map_err(|e| format!("key for {name}: {e}"))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    for group in groups {
        params
            .distinguished_name
            .push(DnType::OrganizationName, *group);
    }
    for host in hosts {
        params.subject_alt_names.push(match host.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*host).try_into().map_err(|e| format!("SAN {host}: {e}"))?),
        });
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = params
        .signed_by(&key, issuer)
        .map_err(|e| format!("certificate for {name}: {e}"))?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn write_user(
    dir: &Path,
    url: &str,
    name: &str,
    groups: &[String],
    (cert_pem, key_pem): (String, String),
) -> Result<User, String> {
    let cert = dir.join(format!("{}.crt", file_name(name)));
    let key = dir.join(format!("{}.key", file_name(name)));
    write(&cert, &cert_pem)?;
    write(&key, &key_pem)?;
    let ca = dir
        .ancestors()
        .map(|d| d.join("ca.crt"))
        .find(|p| p.is_file())
        .ok_or("ca.crt not found")?;
    let kubeconfig = dir.join(format!("{}.kubeconfig", file_name(name)));
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "test", "cluster": {
            "server": url,
            "certificate-authority": ca,
        }}],
        "users": [{ "name": name, "user": {
            "client-certificate": cert,
            "client-key": key,
        }}],
        "contexts": [{ "name": "test", "context": { "cluster": "test", "user": name } }],
        "current-context": "test",
    });
    write(&kubeconfig, &config.to_string())?;
    Ok(User {
        name: name.to_owned(),
        groups: groups.to_vec(),
        kubeconfig,
        cert_pem,
        key_pem,
    })
}

fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn free_ports() -> Result<[u16; 3], String> {
    // Bound together, so the three differ; released just before use.
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("free port: {e}"))?;
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("free port: {e}"))?;
    Ok([ports[0], ports[1], ports[2]])
}

/// Starts `program ARGS` with its output in `log`, to die with this thread
/// (`setpriv --pdeathsig KILL`, from util-linux, when it is there).
fn spawn(program: &Path, args: &[String], log: &Path) -> Result<Child, String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut command = match find_tool("SETPRIV", "setpriv", None) {
        Some(setpriv) => {
            let mut c = Command::new(setpriv);
            c.args(["--pdeathsig", "KILL", "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .env_remove("KUBECONFIG")
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))
}

/// Runs a command with `stdin` written to it.
pub fn run_with_stdin(command: &mut Command, stdin: Option<&str>) -> Output {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Output {
                status: std::process::ExitStatus::default(),
                stdout: Vec::new(),
                stderr: format!("cannot run {command:?}: {e}").into_bytes(),
            }
        }
    };
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let text = text.to_owned();
        // A writer thread: a large input must not block on a full pipe
        // while the child waits for us to read its output.
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    child.wait_with_output().unwrap_or_else(|e| Output {
        status: std::process::ExitStatus::default(),
        stdout: Vec::new(),
        stderr: format!("{e}").into_bytes(),
    })
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_headers_give_their_text() {
        assert_eq!(
            warning_text(r#"299 - "would violate PodSecurity \"restricted:latest\": privileged""#),
            r#"would violate PodSecurity "restricted:latest": privileged"#
        );
        assert_eq!(warning_text("plain"), "plain");
    }

    #[test]
    fn certificates_name_the_user_and_groups() {
        let (params, key, ca) = new_ca().unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        let issuer = Issuer::from_params(&params, &key);
        let (cert, key) = leaf(&issuer, "tenant", &["devs", "qa"], &[], false).unwrap();
        assert!(cert.contains("BEGIN CERTIFICATE") && key.contains("PRIVATE KEY"));
        let (server, _) = leaf(&issuer, "s", &[], &["127.0.0.1", "localhost"], true).unwrap();
        assert!(server.contains("BEGIN CERTIFICATE"));
    }
}
