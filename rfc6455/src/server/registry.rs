//! The tasks of a running server, and [`ServerHandle`], which stops them.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};

use crate::stop::{StopSignal, StopSlot};

/// The tasks a server spawned, so that `stop` can tell them to go and wait for them, and
/// the signal that ends its accept loop.
#[derive(Default)]
pub(crate) struct Registry {
    next: AtomicU64,
    tasks: Mutex<HashMap<u64, Task>>,
    /// Notified when the last task ends.
    empty: Notify,
    /// Notified once, by `stop`: the accept loop returns.
    stop_accepting: Notify,
    /// Watched by every connection (a slot each): `stop` sets it.
    stop: Arc<StopSignal>,
}

struct Task {
    abort: Option<AbortHandle>,
}

impl Registry {
    /// Spawn `fut` as one of the server's tasks (it watches a [`stop_slot`](Self::stop_slot)
    /// to know when to end).
    pub(crate) fn spawn<F>(self: &Arc<Self>, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, Task { abort: None });
        let guard = TaskGuard {
            registry: self.clone(),
            id,
        };
        // `map` keeps `fut` in place: an `async` block that awaited it would hold it twice
        // (once as captured, once being awaited), doubling the task's size. The guard is
        // dropped with the future however the task ends (finished, aborted, runtime gone).
        let handle = tokio::spawn(fut.map(move |()| drop(guard)));
        if let Some(task) = self.lock().get_mut(&id) {
            task.abort = Some(handle.abort_handle());
        }
    }

    /// A slot in the server's stop signal, for one connection to watch.
    pub(crate) fn stop_slot(&self) -> StopSlot {
        self.stop.slot()
    }

    /// Resolves once `stop` has been called: the accept loop's cue to return.
    pub(crate) async fn accepting_stopped(&self) {
        self.stop_accepting.notified().await;
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Task>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn stop_all(&self) {
        self.stop.stop();
    }

    fn abort_all(&self) {
        for task in self.lock().values() {
            if let Some(abort) = &task.abort {
                abort.abort();
            }
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("tasks", &self.len())
            .finish()
    }
}

/// Removes its task from the registry when the task ends, however it ends.
struct TaskGuard {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        let mut tasks = self.registry.lock();
        tasks.remove(&self.id);
        if tasks.is_empty() {
            self.registry.empty.notify_waiters();
        }
    }
}

/// A running server: its address, and the way to stop it (the original's stop procedure).
///
/// # Dropping the handle
/// Dropping the handle leaves the server running, with no way left to stop it but ending
/// the program (or its tokio runtime): a server usually lives as long as the program, and
/// stopping well means waiting for connections to close, which a `drop` cannot do. Keep
/// the handle and call [`stop`](Self::stop) to end the server; the compiler warns about a
/// handle that is thrown away unused.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let server = rfc6455::serve(rfc6455::ServerOptions::default().port(8081), |ws| async move {
///     drop(ws);
/// })
/// .await?;
/// println!("listening on {}", server.local_addr());
/// tokio::signal::ctrl_c().await?;
/// server.stop().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "dropping the ServerHandle leaves the server running with no way to stop it; \
              keep it and call `stop().await` to end the server"]
pub struct ServerHandle {
    local_addr: SocketAddr,
    registry: Arc<Registry>,
    accept_loop: JoinHandle<()>,
    stop_timeout: Duration,
}

impl ServerHandle {
    /// The handle of a server listening on `local_addr`, whose accept loop runs as
    /// `accept_loop` and watches `registry`.
    pub(crate) fn new(
        local_addr: SocketAddr,
        registry: Arc<Registry>,
        accept_loop: JoinHandle<()>,
        stop_timeout: Duration,
    ) -> Self {
        Self {
            local_addr,
            registry,
            accept_loop,
            stop_timeout,
        }
    }

    /// The address the server listens on (with the port the OS picked for port 0).
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let server = rfc6455::serve(rfc6455::ServerOptions::default(), |_ws| async {}).await?;
    /// println!("ws://127.0.0.1:{}/", server.local_addr().port());
    /// # server.stop().await; Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The number of connections (WebSocket or plain HTTP) being served.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let server = rfc6455::serve(rfc6455::ServerOptions::default(), |_ws| async {}).await?;
    /// println!("{} connections", server.connection_count());
    /// # server.stop().await; Ok(()) }
    /// ```
    pub fn connection_count(&self) -> usize {
        // Each TCP connection is one task until its handshake is done, then its
        // WebSocket's handler is one (the handshake's task hands over to it, and ends);
        // a connection hyper serves stays one task, and each WebSocket it upgrades is one
        // more.
        self.registry.len()
    }

    /// Stop: stop accepting, send close 1001 (going away) on every open WebSocket, wait up
    /// to [`ServerOptions::stop_timeout`](crate::ServerOptions::stop_timeout) for
    /// connections to end, then end the rest.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let server = rfc6455::serve(rfc6455::ServerOptions::default(), |_ws| async {}).await?;
    /// server.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn stop(self) {
        self.registry.stop_accepting.notify_one();
        let _ = self.accept_loop.await;
        let registry = &self.registry;
        registry.stop_all();
        let wait = async {
            loop {
                let notified = registry.empty.notified();
                if registry.len() == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(self.stop_timeout, wait).await.is_err() {
            tracing::debug!("stop: {} connections did not close in time", registry.len());
        }
        registry.abort_all();
    }
}
