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
//! A notification arrives a little after the commit, so a cached page is served only under
//! a **fence**: the server sends a notification on a channel only it listens to and waits
//! until its listener hears it. PostgreSQL queues notifications in commit order and every
//! listener reads them in that order, so by then the listener has heard every write
//! committed before the fence was sent.
//!
//! A fence heard is a **lease** of [`LEASE`] from the instant it was sent: reads arriving
//! within it are served from the cache without a round trip, and a read in its second half
//! sends the next fence without waiting for it, so under a steady load no read waits. In
//! exchange every writer waits [`COMMIT_WAIT`] after its commit before it answers (Spanner's
//! "commit wait"): a write acknowledged at `t` committed before `t - LEASE`, so a lease still
//! running at `t` comes from a fence sent after that commit — whose listener heard the write
//! before the fence. A read after any acknowledged write is therefore fresh on every server.
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
/// How long after it was sent a fence heard lets reads use the cache (see above).
pub const LEASE: Duration = Duration::from_millis(10);
/// How long a writer waits after its commit before it answers: the lease, and a
/// millisecond for two processes' clocks measuring it at slightly different rates.
pub const COMMIT_WAIT: Duration = Duration::from_millis(11);
const _: () = assert!(COMMIT_WAIT.as_nanos() > LEASE.as_nanos());
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
    /// When the last fence heard back was sent: the start of the running lease.
    lease_from: Option<Instant>,
}

impl Fences {
    /// One fence in flight at a time (one not heard within [`FENCE_WAIT`] counts as lost).
    fn idle(&self) -> bool {
        self.sent == self.heard || self.sent_at.elapsed() > FENCE_WAIT
    }

    /// Numbers the next fence, sent now.
    fn next(&mut self) -> u64 {
        self.sent += 1;
        self.sent_at = Instant::now();
        self.sent
    }
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
                lease_from: None,
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

    /// Waits, if it must, until this server may serve a cached page: `true` under a lease
    /// running at the call (every write acknowledged before it has been heard, see above),
    /// `false` if it cannot tell within [`FENCE_WAIT`] (not listening, the database away):
    /// then no cached page may be served.
    pub async fn fence(self: &Arc<Self>, pool: &sqlx::AnyPool) -> bool {
        if !self.listening() {
            return false;
        }
        let arrived = Instant::now();
        let mut heard = self.fence_heard.subscribe();
        let deadline = tokio::time::Instant::from_std(arrived) + FENCE_WAIT;
        loop {
            let (leased, send) = {
                let mut fences = self.fences_lock();
                // A fence sent after the call arrived counts as age zero.
                let age = fences
                    .lease_from
                    .map(|sent| arrived.saturating_duration_since(sent));
                match age {
                    Some(age) if age <= LEASE => {
                        // Renewed ahead of time, so that the reads after this one need
                        // not wait.
                        let renew = age > LEASE / 2 && fences.idle();
                        (true, renew.then(|| fences.next()))
                    }
                    _ => (false, fences.idle().then(|| fences.next())),
                }
            };
            if leased {
                if let Some(number) = send {
                    let (watch, pool) = (Arc::clone(self), pool.clone());
                    let deadline = tokio::time::Instant::now() + FENCE_WAIT;
                    tokio::spawn(async move { watch.send_fence(&pool, number, deadline).await });
                }
                return self.listening();
            }
            if let Some(number) = send {
                if !self.send_fence(pool, number, deadline).await {
                    return false;
                }
            }
            match tokio::time::timeout_at(deadline, heard.changed()).await {
                Ok(Ok(())) if self.listening() => continue,
                _ => return false,
            }
        }
    }

    /// Sends fence `number` on this server's own channel by `deadline` (a busy pool must
    /// not hold a read for its own acquire timeout). One that fails counts as lost at once,
    /// waking the reads waiting for it, which then send the next.
    async fn send_fence(
        &self,
        pool: &sqlx::AnyPool,
        number: u64,
        deadline: tokio::time::Instant,
    ) -> bool {
        let notify = format!("NOTIFY {}, '{number}'", self.fence_channel);
        let sent = tokio::time::timeout_at(deadline, pool.execute(sqlx::AssertSqlSafe(notify)))
            .await
            .is_ok_and(|sent| sent.is_ok());
        if !sent {
            let mut fences = self.fences_lock();
            // Counted as heard, so no longer in flight; a lost fence starts no lease, even
            // if it is heard after all (see `fence_heard`).
            if fences.sent == number {
                fences.heard = fences.heard.max(number);
                self.fence_heard.send_replace(fences.heard);
            }
        }
        sent
    }

    fn fence_heard(&self, payload: &str) {
        if let Ok(fence) = payload.parse::<u64>() {
            let mut fences = self.fences_lock();
            // Only the fence in flight has its sending time; one counted as lost and
            // heard late starts no lease.
            if fence == fences.sent && fence > fences.heard {
                fences.lease_from = Some(fences.sent_at);
            }
            fences.heard = fences.heard.max(fence);
            self.fence_heard.send_replace(fences.heard);
        }
    }

    /// Fences sent while nobody listened are never heard: count them as landed (the
    /// generation has moved on since, see `listen`), and wake every waiting read.
    fn forget_fences(&self) {
        let mut fences = self.fences_lock();
        fences.heard = fences.sent;
        fences.lease_from = None;
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
                            Ok(Some(notification)) if notification.channel() == CHANNEL => {
                                #[cfg(test)]
                                tokio::time::sleep(Duration::from_millis(
                                    tests::SLOW_LISTENER_MS.load(Ordering::Relaxed),
                                ))
                                .await;
                                moved()
                            }
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
pub(crate) mod tests {
    use std::sync::atomic::AtomicU64;

    /// How long every listener of this process takes over each write it hears (tests of a
    /// listener slower than the writer's answer).
    pub(crate) static SLOW_LISTENER_MS: AtomicU64 = AtomicU64::new(0);

    impl super::Watch {
        /// How many fences this server has sent.
        pub(crate) fn fences_sent(&self) -> u64 {
            self.fences_lock().sent
        }
    }

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
