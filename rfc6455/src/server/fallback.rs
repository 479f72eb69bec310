//! Plain HTTP beside WebSockets: the service that answers requests that are not upgrades.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};

/// Any error a body or a service may return.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the server writes: WebSocket answers and whatever the
/// fallback service returns.
pub(crate) type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

type ResponseFuture = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;

/// A hyper service with its types erased, shared by every connection of a server.
#[derive(Clone)]
pub(crate) struct Fallback(Arc<dyn ErasedService>);

impl Fallback {
    pub(crate) fn new<S, B>(service: S) -> Self
    where
        S: hyper::service::Service<Request<Incoming>, Response = Response<B>>
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self(Arc::new(Erased(service)))
    }

    /// Answer `req`. A service error becomes `500 Internal Server Error` (and is logged),
    /// so the connection stays usable.
    pub(crate) fn call(&self, req: Request<Incoming>) -> ResponseFuture {
        self.0.call(req)
    }
}

impl fmt::Debug for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fallback(<HTTP service>)")
    }
}

trait ErasedService: Send + Sync {
    fn call(&self, req: Request<Incoming>) -> ResponseFuture;
}

struct Erased<S>(S);

impl<S, B> ErasedService for Erased<S>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn call(&self, req: Request<Incoming>) -> ResponseFuture {
        let future = self.0.call(req);
        Box::pin(async move {
            match future.await {
                Ok(response) => boxed(response),
                Err(e) => {
                    let e: BoxError = e.into();
                    tracing::warn!("fallback HTTP service failed: {e}");
                    let body = Full::new(Bytes::from_static(b"Internal Server Error\n"));
                    let mut response = Response::new(body);
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    boxed(response)
                }
            }
        })
    }
}

/// Box a response's body.
pub(crate) fn boxed<B>(response: Response<B>) -> Response<ResponseBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    response.map(|body| body.map_err(Into::into).boxed_unsync())
}
