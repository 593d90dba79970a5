//! Other servers' writes to a shared PostgreSQL database, heard through `LISTEN`/`NOTIFY`.
//!
//! Several stateless servers share one PostgreSQL database, so a page of entries cached by
//! one of them may be changed by another. Every write transaction (a server's or the
//! CLI's, see [`crate::WriteTx::commit`]) sends `NOTIFY timesheets_writes` before it
//! commits; PostgreSQL delivers it to every listening server when — and only if — the
//! transaction commits. Each server listens on a connection of its own, on a thread of its
//! own, and moves its write generation on at each notification, which retires every cached
//! page, as its own commits do.
//!
//! A notification arrives a little after the commit, so a cached page is served only after
//! a **fence**: the server sends a notification on a channel only it listens to and waits
//! until its listener hears it. PostgreSQL queues notifications in commit order and every
//! listener reads them in that order, so by then the listener has heard every write
//! committed before the fence was sent — every write acknowledged to anyone before the
//! request arrived. Concurrent requests share fences (one in flight at a time), so a fence
//! costs one small round trip per batch of reads, not per read.
//!
//! While the listener is not connected (at start, or after the connection was lost),
//! [`Watch::listening`] is false and nothing is served from the cache; once it listens again
//! the generation moves on, since writes made in between were not heard.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use sqlx::{postgres::PgListener, Executor};
use tokio::sync::{oneshot, watch};

/// The channel every write is announced on.
pub const CHANNEL: &str = "timesheets_writes";
const ANNOUNCE: &str = "NOTIFY timesheets_writes";
/// Longest a read waits for a fence before it reads the database instead.
pub const FENCE_WAIT: Duration = Duration::from_millis(250);
/// Longest pause between two attempts to connect the listener.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// This process's side of the channel.
#[derive(Debug)]
pub struct Watch {
    /// The channel of this process's fences, heard by it alone.
    fence_channel: String,
    listening: AtomicBool,
    fences: Mutex<Fences>,
    /// The last fence heard, for the reads waiting for it.
    fence_heard: watch::Sender<u64>,
}

#[derive(Debug)]
struct Fences {
    /// The last fence sent, and when.
    sent: u64,
    sent_at: Instant,
    /// The last fence heard back.
    heard: u64,
}

impl Watch {
    pub fn new() -> Arc<Watch> {
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_nanos())
            .unwrap_or_default();
        Arc::new(Watch {
            // An identifier (hex digits): no quoting needed in LISTEN and NOTIFY.
            fence_channel: format!("timesheets_fence_{:x}{started:x}", std::process::id()),
            listening: AtomicBool::new(false),
            fences: Mutex::new(Fences {
                sent: 0,
                sent_at: Instant::now(),
                heard: 0,
            }),
            fence_heard: watch::Sender::new(0),
        })
    }

    /// Whether every write committed from now on will be heard.
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Announces a write inside its transaction (PostgreSQL sends it at the commit).
    pub async fn announce(&self, conn: &mut sqlx::AnyConnection) -> sqlx::Result<()> {
        conn.execute(ANNOUNCE).await.map(drop)
    }

    /// Waits until the listener has heard every write committed before this call, as
    /// described above; `false` if it cannot tell within [`FENCE_WAIT`] (not listening,
    /// the database away): then no cached page may be served.
    pub async fn fence(&self, pool: &sqlx::AnyPool) -> bool {
        if !self.listening() {
            return false;
        }
        let mut heard = self.fence_heard.subscribe();
        // A fence in flight may have been sent before this call: the next one is ours.
        let ours = self.fences_lock().sent + 1;
        let deadline = tokio::time::Instant::now() + FENCE_WAIT;
        loop {
            let send = {
                let mut fences = self.fences_lock();
                if fences.heard >= ours {
                    return self.listening();
                }
                // One fence in flight at a time (a lost one counts as landed).
                let idle = fences.sent == fences.heard || fences.sent_at.elapsed() > FENCE_WAIT;
                let send = idle && fences.sent < ours;
                if send {
                    fences.sent = ours;
                    fences.sent_at = Instant::now();
                }
                send
            };
            if send {
                // Within the same deadline: a busy pool must not hold the read for its own
                // acquire timeout. A fence cut off here counts as lost (see `idle`).
                let notify = format!("NOTIFY {}, '{ours}'", self.fence_channel);
                let sent =
                    tokio::time::timeout_at(deadline, pool.execute(sqlx::AssertSqlSafe(notify)))
                        .await;
                if !matches!(sent, Ok(Ok(_))) {
                    return false;
                }
            }
            match tokio::time::timeout_at(deadline, heard.changed()).await {
                Ok(Ok(())) if self.listening() => continue,
                _ => return false,
            }
        }
    }

    fn fence_heard(&self, payload: &str) {
        if let Ok(fence) = payload.parse::<u64>() {
            let mut fences = self.fences_lock();
            fences.heard = fences.heard.max(fence);
            self.fence_heard.send_replace(fences.heard);
        }
    }

    /// Fences sent while nobody listened are never heard: count them as landed (the
    /// generation has moved on since, see `listen`), and wake every waiting read.
    fn forget_fences(&self) {
        let mut fences = self.fences_lock();
        fences.heard = fences.sent;
        self.fence_heard.send_replace(fences.heard);
    }

    fn fences_lock(&self) -> MutexGuard<'_, Fences> {
        // Numbers left by a panicking thread are still numbers.
        self.fences
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Listens on a thread of its own until the returned handle is dropped: `moved` is
    /// called for every write heard and whenever writes may have gone unheard. Its own
    /// thread, so that a notification is handled as it arrives, not after the requests
    /// queued on the server's workers.
    pub fn listen_apart(
        self: &Arc<Self>,
        url: String,
        moved: impl Fn() + Send + 'static,
    ) -> std::io::Result<Listening> {
        let (stop, stopped) = oneshot::channel::<()>();
        let watch = Arc::clone(self);
        std::thread::Builder::new()
            .name("timesheets-watch".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        tracing::error!(%error, "cannot start the listener for other servers' writes; the page cache stays off");
                        return;
                    }
                };
                runtime.block_on(async move {
                    tokio::select! {
                        () = Arc::clone(&watch).listen(url, moved) => {}
                        _ = stopped => {}
                    }
                    watch.listening.store(false, Ordering::Release);
                });
            })?;
        Ok(Listening { _stop: stop })
    }

    /// Listens, reconnecting with a growing pause when the connection is lost.
    async fn listen(self: Arc<Self>, url: String, moved: impl Fn()) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.listener(&url).await {
                Ok(mut listener) => {
                    // Writes made while nobody listened were not heard: retire every page
                    // before serving from the cache again.
                    moved();
                    self.forget_fences();
                    self.listening.store(true, Ordering::Release);
                    backoff = Duration::from_millis(100);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) if notification.channel() == CHANNEL => moved(),
                            Ok(Some(notification)) => self.fence_heard(notification.payload()),
                            Ok(None) => break,
                            Err(error) => {
                                tracing::warn!(%error, "the listener for other servers' writes failed");
                                break;
                            }
                        }
                    }
                    self.listening.store(false, Ordering::Release);
                    moved();
                    self.forget_fences();
                    tracing::warn!("lost the listener for other servers' writes; the page cache is off until it is back");
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for other servers' writes; the page cache is off")
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn listener(&self, url: &str) -> sqlx::Result<PgListener> {
        let mut listener = PgListener::connect(url).await?;
        listener
            .listen_all([CHANNEL, self.fence_channel.as_str()])
            .await?;
        Ok(listener)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_are_announced_on_the_channel_listened_to() {
        assert_eq!(super::ANNOUNCE, format!("NOTIFY {}", super::CHANNEL));
    }
}

/// The listener's thread runs while this lives (see [`Watch::listen_apart`]).
#[derive(Debug)]
pub struct Listening {
    _stop: oneshot::Sender<()>,
}
