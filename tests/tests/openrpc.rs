//! OpenRPC documents generated from `#[rpc]` traits: their content (names,
//! aliases, optional params, `$ref`s into components, notifications, errors,
//! merged traits) and their validity against the official meta-schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpc_runtime::openrpc::{Info, OpenRpcConfig, Server};
use rpc_runtime::{rpc, Context, Router, RpcError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A point in the plane.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Point {
    /// Across.
    pub x: f64,
    /// Up.
    pub y: f64,
}

/// What a shape is for.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub enum Tag {
    /// Drawn.
    Visible,
    /// Kept for later.
    Hidden,
}

/// A polygon.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Shape {
    /// Its name.
    pub name: String,
    /// Its corners, in order.
    pub corners: Vec<Point>,
    /// An optional tag.
    pub tag: Option<Tag>,
}

/// What can go wrong with shapes.
#[derive(Debug, thiserror::Error, Serialize, Deserialize, RpcError)]
pub enum GeoError {
    /// No corners.
    #[error("the shape has no corners")]
    #[rpc(code = 1001, message = "empty shape")]
    Empty,
    /// Too many corners.
    #[error("{0} corners is too many")]
    #[rpc(code = 1002)]
    TooBig(u32),
}

/// Shapes and their measures.
#[rpc(namespace = "geo", server_only)]
pub trait Geometry {
    /// The area of a polygon.
    ///
    /// Computed with the shoelace formula;
    /// corners go counter-clockwise.
    #[method(aliases = ["surface"])]
    async fn area(
        &self,
        /// The shape to measure.
        shape: Shape,
        #[param(rename = "unitScale", doc = "Multiplies the result; 1 when left out.")]
        scale: Option<f64>,
    ) -> Result<f64, GeoError>;

    /// Records a line in the server's log.
    #[notification]
    async fn log(&self, line: String);

    /// The area, the old way.
    #[deprecated(note = "use geo.area")]
    fn old_area(&self, shape: Shape) -> f64;

    /// Where it all starts.
    fn origin(&self) -> Point;

    /// Starts over.
    fn reset(&self, ctx: &Context);
}

struct Geo;

impl Geometry for Geo {
    async fn area(&self, shape: Shape, scale: Option<f64>) -> Result<f64, GeoError> {
        if shape.corners.is_empty() {
            return Err(GeoError::Empty);
        }
        Ok(shoelace(&shape.corners) * scale.unwrap_or(1.0))
    }
    async fn log(&self, _line: String) {}
    fn old_area(&self, shape: Shape) -> f64 {
        shoelace(&shape.corners)
    }
    fn origin(&self) -> Point {
        Point { x: 0.0, y: 0.0 }
    }
    fn reset(&self, _ctx: &Context) {}
}

fn shoelace(corners: &[Point]) -> f64 {
    let n = corners.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (&corners[i], &corners[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum();
    twice.abs() / 2.0
}

/// A second API sharing `Point` with the first.
#[rpc(server_only)]
pub trait Echo {
    /// Returns its argument.
    fn echo(&self, text: String) -> String;
    /// Returns the point it was given.
    fn mirror(&self, point: Point) -> Point;
}

struct Echoer;

impl Echo for Echoer {
    fn echo(&self, text: String) -> String {
        text
    }
    fn mirror(&self, point: Point) -> Point {
        point
    }
}

/// A third API with its own, different `Point`.
mod other {
    use super::*;

    /// A point on a line.
    #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Point {
        /// Where.
        pub(crate) at: i64,
    }

    /// Points on a line.
    #[rpc(server_only)]
    pub(crate) trait Line {
        /// The point itself.
        fn project(&self, point: Point) -> Point;
    }

    pub(crate) struct Liner;

    impl Line for Liner {
        fn project(&self, point: Point) -> Point {
            point
        }
    }
}

/// Undocumented on purpose: `no_docs` leaves its types free of `JsonSchema`.
#[derive(Serialize, Deserialize)]
pub struct Opaque(i64);

/// An API left out of the document's detail.
#[rpc(server_only, no_docs)]
pub trait Plain {
    /// Hands the value back.
    fn opaque(&self, value: Opaque) -> Opaque;
}

struct Plainer;

impl Plain for Plainer {
    fn opaque(&self, value: Opaque) -> Opaque {
        value
    }
}

/// A type with serde's traits only: no `JsonSchema`.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Receipt {
    /// What was paid.
    pub amount: u64,
}

/// Serde-only and `JsonSchema` types side by side in one documented trait.
#[rpc(namespace = "shop")]
pub trait Shop {
    /// Pays for a point, gets a receipt.
    fn pay(&self, at: Point, receipt: Receipt) -> Receipt;
    /// The receipts so far.
    fn receipts(&self, limit: Option<u32>) -> Result<Vec<Receipt>, GeoError>;
    /// Where the shop is.
    fn location(&self, receipt: Receipt) -> Point;
}

struct Shopper;

impl Shop for Shopper {
    fn pay(&self, _at: Point, receipt: Receipt) -> Receipt {
        receipt
    }
    fn receipts(&self, _limit: Option<u32>) -> Result<Vec<Receipt>, GeoError> {
        Ok(vec![Receipt { amount: 3 }])
    }
    fn location(&self, _receipt: Receipt) -> Point {
        Point { x: 1.0, y: 2.0 }
    }
}

/// `examples/discover.rs`, compiled in, to validate its document.
#[path = "../../examples/examples/discover.rs"]
#[allow(dead_code, unreachable_pub, missing_docs)]
mod discover_example;

fn config() -> OpenRpcConfig {
    OpenRpcConfig::new(Info::new("Geometry", "2.1.0").with_description("Shapes over JSON-RPC"))
        .with_server(Server::new("http://127.0.0.1:8080").with_name("local"))
}

fn document(router: &Router) -> Value {
    serde_json::to_value(router.openrpc_document(&config())).unwrap()
}

fn method<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no method {name} in {doc:#}"))
}

/// The official meta-schema (see `tests/openrpc/README.md`), offline.
fn meta_schema() -> jsonschema::Validator {
    let read = |file: &str| -> Value {
        let path = format!("{}/openrpc/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let openrpc = read("openrpc-meta-schema-1.14.9.json");
    let json_schema = read("json-schema-tools-meta-schema-1.8.0.json");
    let registry = jsonschema::Registry::new()
        .add(
            "https://meta.json-schema.tools",
            jsonschema::Draft::Draft7.create_resource(json_schema),
        )
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_registry(&registry)
        .offline()
        .build(&openrpc)
        .unwrap()
}

fn assert_valid(doc: &Value) {
    let validator = meta_schema();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid document: {errors:#?}\n{doc:#}");
}

#[test]
fn the_document_names_every_method_after_its_namespace_with_aliases() {
    let doc = document(&Geo.into_router());
    assert_eq!(doc["openrpc"], "1.3.2");
    assert_eq!(doc["info"]["title"], "Geometry");
    assert_eq!(doc["info"]["version"], "2.1.0");
    assert_eq!(doc["info"]["description"], "Shapes over JSON-RPC");
    assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:8080");
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    // The alias is not a method of its own, but listed on its method.
    assert_eq!(
        names,
        [
            "geo.area",
            "geo.log",
            "geo.old_area",
            "geo.origin",
            "geo.reset"
        ]
    );
    let area = method(&doc, "geo.area");
    assert_eq!(area["x-aliases"], json!(["geo.surface"]));
    assert_eq!(area["paramStructure"], "either");
    assert_eq!(area["summary"], "The area of a polygon.");
    assert_eq!(
        area["description"],
        "Computed with the shoelace formula;\ncorners go counter-clockwise."
    );
    assert!(method(&doc, "geo.origin").get("description").is_none());
    assert_valid(&doc);
}

#[test]
fn params_carry_json_names_docs_and_required() {
    let doc = document(&Geo.into_router());
    let params = method(&doc, "geo.area")["params"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(params.len(), 2);
    assert_eq!(params[0]["name"], "shape");
    assert_eq!(params[0]["description"], "The shape to measure.");
    assert_eq!(params[0]["required"], true);
    assert_eq!(params[1]["name"], "unitScale");
    assert_eq!(
        params[1]["description"],
        "Multiplies the result; 1 when left out."
    );
    assert_eq!(params[1]["required"], false);
    assert_eq!(params[1]["schema"]["type"], json!(["number", "null"]));
    // The context is no param.
    assert_eq!(method(&doc, "geo.reset")["params"], json!([]));
}

#[test]
fn user_types_are_refs_into_components_nested_ones_too() {
    let doc = document(&Geo.into_router());
    let shape_ref = &method(&doc, "geo.area")["params"][0]["schema"]["$ref"];
    assert_eq!(shape_ref, "#/components/schemas/Shape");
    let schemas = &doc["components"]["schemas"];
    let shape = &schemas["Shape"];
    assert_eq!(shape["description"], "A polygon.");
    assert_eq!(
        shape["properties"]["corners"]["items"]["$ref"],
        "#/components/schemas/Point"
    );
    assert_eq!(schemas["Point"]["properties"]["x"]["type"], "number");
    assert!(schemas.get("Tag").is_some(), "{schemas:#}");
    assert_eq!(
        method(&doc, "geo.origin")["result"]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    // Every `$ref` points at a schema that is there.
    let text = doc.to_string();
    for target in text.split("\"$ref\":\"").skip(1) {
        let name = target
            .split('"')
            .next()
            .unwrap()
            .strip_prefix("#/components/schemas/")
            .unwrap();
        assert!(schemas.get(name).is_some(), "dangling $ref to {name}");
    }
}

#[test]
fn results_errors_notifications_and_deprecation() {
    let doc = document(&Geo.into_router());
    let area = method(&doc, "geo.area");
    assert_eq!(area["result"]["name"], "result");
    assert_eq!(area["result"]["schema"]["type"], "number");
    assert_eq!(
        area["errors"],
        json!([{"code": 1001, "message": "empty shape"}, {"code": 1002, "message": "TooBig"}])
    );
    assert!(area.get("deprecated").is_none());

    let log = method(&doc, "geo.log");
    assert!(log.get("result").is_none(), "a notification has no result");
    assert_eq!(log["x-notification"], true);
    assert_eq!(log["params"][0]["name"], "line");

    assert_eq!(method(&doc, "geo.old_area")["deprecated"], true);
    // A method without an error type declares none.
    assert!(method(&doc, "geo.origin").get("errors").is_none());
    // A method returning nothing returns `null`.
    assert_eq!(
        method(&doc, "geo.reset")["result"]["schema"]["type"],
        "null"
    );
}

#[test]
fn two_traits_merge_into_one_document() {
    let mut router = Geo.into_router();
    router.merge(Echoer.into_router()).unwrap();
    let doc = document(&router);
    assert_eq!(method(&doc, "echo")["summary"], "Returns its argument.");
    assert_eq!(
        method(&doc, "geo.area")["summary"],
        "The area of a polygon."
    );
    // Both traits' `Point` is one schema.
    assert_eq!(
        method(&doc, "mirror")["params"][0]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    assert!(doc["components"]["schemas"].get("Point_2").is_none());
    assert_valid(&doc);
}

#[test]
fn a_different_type_of_the_same_name_is_renamed_not_overwritten() {
    let mut router = Geo.into_router();
    router
        .merge(other::Line::into_router(other::Liner))
        .unwrap();
    let doc = document(&router);
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Point"]["properties"]["x"]["type"], "number");
    assert_eq!(schemas["Point_2"]["properties"]["at"]["type"], "integer");
    let project = method(&doc, "project");
    assert_eq!(
        project["params"][0]["schema"]["$ref"],
        "#/components/schemas/Point_2"
    );
    assert_eq!(
        project["result"]["schema"]["$ref"],
        "#/components/schemas/Point_2"
    );
    assert_eq!(
        method(&doc, "geo.origin")["result"]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    assert_valid(&doc);
}

#[test]
fn a_prefix_renames_documented_methods_and_aliases() {
    let router = Geo.into_router().with_prefix("v2.").unwrap();
    let doc = document(&router);
    let area = method(&doc, "v2.geo.area");
    assert_eq!(area["x-aliases"], json!(["v2.geo.surface"]));
    assert_eq!(area["summary"], "The area of a polygon.");
    assert_valid(&doc);
}

#[test]
fn methods_without_docs_are_still_listed() {
    let mut router = Plainer.into_router();
    assert!(router.api_doc().is_none(), "no_docs attaches nothing");
    router
        .register_sync("ping", |_, _| {
            Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>("pong")
        })
        .unwrap()
        .with_params(&["delay"]);
    router.register_alias("p", "ping").unwrap();
    let doc = document(&router);
    let opaque = method(&doc, "opaque");
    assert_eq!(opaque["params"][0]["name"], "value");
    assert_eq!(opaque["params"][0]["schema"], json!({}));
    assert_eq!(method(&doc, "ping")["x-aliases"], json!(["p"]));
    assert!(doc.get("components").is_none());
    assert_valid(&doc);
}

#[test]
fn a_type_without_json_schema_is_any_value_named_after_the_rust_type() {
    let doc = document(&Shopper.into_router());
    let any_receipt = |schema: &Value| {
        let title = schema["title"]
            .as_str()
            .unwrap_or_else(|| panic!("{schema:#}"));
        assert!(title.ends_with("::Receipt"), "{title}");
        assert!(schema["description"]
            .as_str()
            .unwrap()
            .contains("no JSON Schema"));
        assert_eq!(
            schema.as_object().unwrap().len(),
            2,
            "nothing but title and description: {schema:#}"
        );
    };
    let pay = method(&doc, "shop.pay");
    assert_eq!(
        pay["params"][0]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    any_receipt(&pay["params"][1]["schema"]);
    any_receipt(&pay["result"]["schema"]);
    let receipts = method(&doc, "shop.receipts");
    assert_eq!(
        receipts["params"][0]["schema"]["type"],
        json!(["integer", "null"])
    );
    assert!(receipts["result"]["schema"]["title"]
        .as_str()
        .unwrap()
        .contains("Vec<"));
    assert_eq!(receipts["errors"][0]["code"], 1001);
    let location = method(&doc, "shop.location");
    any_receipt(&location["params"][0]["schema"]);
    assert_eq!(
        location["result"]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    assert!(doc["components"]["schemas"].get("Receipt").is_none());
    assert_valid(&doc);
}

#[tokio::test]
async fn a_type_without_json_schema_is_served() {
    let router = Shopper.into_router();
    let reply = router
        .handle(
            r#"{"jsonrpc":"2.0","method":"shop.pay","params":[{"x":0,"y":0},{"amount":5}],"id":1}"#,
            &Context::new(),
        )
        .await
        .unwrap();
    assert_eq!(reply, r#"{"jsonrpc":"2.0","result":{"amount":5},"id":1}"#);
}

#[test]
fn the_doc_is_built_once_per_trait() {
    let first = Geo.into_router();
    let second = Geo.into_router();
    assert!(std::ptr::eq(
        first.api_doc().unwrap(),
        second.api_doc().unwrap()
    ));
}

#[test]
fn the_validator_rejects_broken_documents() {
    let good = document(&Geo.into_router());
    assert_valid(&good);
    let validator = meta_schema();
    let mut broken = Vec::new();
    let mut no_info = good.clone();
    no_info.as_object_mut().unwrap().remove("info");
    broken.push(no_info);
    let mut bad_version = good.clone();
    bad_version["openrpc"] = json!("9.9.9");
    broken.push(bad_version);
    let mut no_schema = good.clone();
    no_schema["methods"][0]["params"][0]
        .as_object_mut()
        .unwrap()
        .remove("schema");
    broken.push(no_schema);
    let mut bad_structure = good.clone();
    bad_structure["methods"][0]["paramStructure"] = json!("sometimes");
    broken.push(bad_structure);
    let mut unknown_key = good.clone();
    unknown_key["methods"][0]["aliases"] = json!(["a"]);
    broken.push(unknown_key);
    let mut bad_schema = good;
    bad_schema["components"]["schemas"]["Point"]["type"] = json!(42);
    broken.push(bad_schema);
    for doc in &broken {
        assert!(!validator.is_valid(doc), "accepted a broken document");
    }
}

#[tokio::test]
async fn the_discover_example_serves_a_valid_document() {
    use rpc_runtime::client::{Caller as _, LocalCaller};
    let server = discover_example::server();
    let caller = LocalCaller::new(server.router().clone());
    let doc: Value = caller
        .call("rpc.discover", rpc_runtime::params::EncodedParams::none())
        .await
        .unwrap();
    // The quickstart's API, as the quickstart defines it.
    assert_eq!(doc["info"]["title"], "Calculator");
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "calc.add",
            "calc.divide",
            "calc.log",
            "calc.scale",
            "calc.whoami"
        ]
    );
    assert_eq!(method(&doc, "calc.divide")["errors"][0]["code"], 1001);
    assert_eq!(method(&doc, "calc.scale")["params"][1]["required"], false);
    assert_eq!(method(&doc, "calc.log")["x-notification"], true);
    assert!(method(&doc, "calc.log").get("result").is_none());
    assert!(
        method(&doc, "calc.whoami")["params"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the context is not a param"
    );
    assert_valid(&doc);
}
