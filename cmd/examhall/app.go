package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"examhall"
	"examhall/auth"
	"examhall/blob"
	"examhall/cache"
	"examhall/httpapi"
	"examhall/httpapi/aui"
	"examhall/httpapi/manage"
	"examhall/httpapi/v5"
	"examhall/httpapi/ws"
	"examhall/hub"
	"examhall/im"
	"examhall/live"
	"examhall/proctor"
	"examhall/store"
	"examhall/upload"
	"examhall/web"
	"examhall/webhook"
)

// Main is the whole program: configuration, store, services and HTTP server.
// End-to-end tests start it with Open and Run like the serve command does.
type Main struct {
	Config Config
	Log    *slog.Logger

	DB       *store.DB
	Auth     *auth.Service
	Location *time.Location
	Handler  http.Handler
	// Sender delivers webhook events while Run runs; tests may adjust it
	// after Open (its Poll, Timeout).
	Sender *webhook.Sender
	// Proctor runs proctoring (snapshots, signals, invigilators' actions);
	// the web pages and the WebSocket hub call it in-process.
	Proctor *proctor.Service
	Blobs   examhall.BlobStore // where snapshots are kept

	// Hub delivers real-time events to the live room's WebSockets (GET
	// /ws, WS), across replicas through PostgreSQL. Run starts it, Close
	// closes it.
	Hub *hub.Hub
	WS  *ws.Server
	// Signals records the signals candidates' pages send over the
	// WebSocket: Proctor unless set before Open (or --load-signals).
	Signals examhall.SignalRecorder

	registry *prometheus.Registry // metrics, when DebugAddr is set

	server *http.Server
	ln     net.Listener
	stop   context.CancelFunc
	done   chan struct{}
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
}

// Open validates the configuration, opens and migrates the store and builds
// the services and the HTTP handler. It does not listen.
func (m *Main) Open(ctx context.Context) error {
	c := &m.Config
	if err := c.Validate(); err != nil {
		return err
	}
	m.Location, _ = c.Location()

	db, err := store.Open(ctx, c.DSN())
	if err != nil {
		return err
	}
	m.DB = db
	if err := db.Migrate(ctx); err != nil {
		return err
	}

	var key []byte
	if c.JWTKey != "" {
		key, err = auth.ParseKey(c.JWTKey)
	} else {
		key, err = auth.LoadOrCreateKey(c.Data)
	}
	if err != nil {
		return fmt.Errorf("jwt key: %w", err)
	}
	// The proctoring surface reads the same users, rooms, rosters and cheat
	// configs on every request; these serve them from memory for a second.
	users := cache.NewUsers(db, cache.DefaultTTL)
	rooms := cache.NewRooms(db, cache.DefaultTTL)
	cheat := cache.NewCheat(db, cache.DefaultTTL)
	m.Auth, err = auth.New(auth.Config{Key: key, SessionTTL: c.SessionTTL, AppTokenTTL: c.AppTokenTTL, Now: time.Now,
		Attempts: db}, users, db)
	if err != nil {
		return err
	}

	client := &http.Client{Timeout: 10 * time.Second}
	lc := c.Live
	lc.AllowUnsignedCallbacks = c.Demo
	signer := live.New(lc)
	// Signed URLs stay valid for the signer's auth TTL; reuse them for a
	// small part of it.
	urlTTL := c.Live.AuthTTL
	if urlTTL <= 0 {
		urlTTL = live.DefaultAuthTTL
	}
	streams := cache.NewStreams(signer, urlTTL/8)
	policy := examhall.Policy{Rooms: rooms}
	now := time.Now

	hubCfg := hub.Config{Events: db, Log: m.Log}
	if db.Dialect() == store.Postgres {
		// Replicas sharing the database (and schema) share the channel.
		db.EventChannel = eventChannel(c.DSN())
		hubCfg.ListenDSN, hubCfg.Channel = c.DSN(), db.EventChannel
	}
	m.Hub = hub.New(hubCfg)
	if m.Blobs, err = m.openBlobs(); err != nil {
		return err
	}
	// Proctoring's events go through the hub, which stores each (for
	// replay, Seq) before delivering it, in order, on every replica.
	m.Proctor = &proctor.Service{Exams: db, Attempts: db, Rooms: rooms, Store: db, Blobs: m.Blobs,
		Publisher: m.Hub, Policy: policy, Now: now, Log: m.Log}

	mux := http.NewServeMux()
	ims, uploads := im.New(c.IM, client, now), upload.New(c.Upload, client, now)
	m.warnUnconfigured(signer, ims, uploads)
	proctoring := (&aui.Server{
		Auth: m.Auth, Policy: policy, Rooms: rooms, Exams: db, Audio: db, Cheat: cheat,
		Streams: streams, IM: ims, Uploads: uploads, Users: users,
		Callback: signer, Now: now, Location: m.Location, Log: m.Log,
		ExamTimeRFC3339: c.ExamTimeFormat == "rfc3339",
	}).Handler()
	mux.Handle("/exam/", proctoring)
	mux.Handle("/login", proctoring)
	mux.Handle("/api/v5/", (&v5.Server{
		Apps: m.Auth, Exams: db, Attempts: db, Users: db,
		PublicURL: c.publicURL(), Now: now, Location: m.Location, Log: m.Log,
	}).Handler())
	mux.Handle("/api/v1/", (&manage.Server{
		Auth: m.Auth, AppAuth: m.Auth, Policy: policy,
		Users: users, Depts: db, Exams: db, Attempts: db, Rooms: rooms, Audio: db, Cheat: cheat, Apps: db,
		Audit: db, Webhooks: db, Proctor: m.Proctor, Reviews: db,
		HashPassword: auth.HashPassword, PublicURL: c.publicURL(),
		ExamineeClientURL: c.ExamineeClientURL, InvigilatorClientURL: c.InvigilatorClientURL,
		JoinMargin: c.JoinMargin, Now: now, Location: m.Location, Log: m.Log,
	}).Handler())
	mux.Handle("/", (&web.Server{
		Auth: m.Auth, AppAuth: m.Auth, Policy: policy,
		Users: users, Depts: db, Exams: db, Attempts: db, Rooms: rooms, Audio: db, Cheat: cheat, Apps: db,
		Reviews: db, Results: db,
		HashPassword: auth.HashPassword, PublicURL: c.publicURL(),
		ExamineeClientURL: c.ExamineeClientURL, InvigilatorClientURL: c.InvigilatorClientURL, JoinMargin: c.JoinMargin,
		Proctor: m.Proctor, Publisher: m.Hub, LastEventSeq: db.LastEventSeq,
		Online: func(roomID, userID string) bool {
			return m.Hub.Online(hub.Scope{RoomID: roomID, UserID: userID})
		},
		FaceAPIDir: c.FaceAPIDir,
		CSRFKey:    auth.DeriveKey(key, "examhall web csrf"), Secure: strings.HasPrefix(c.publicURL(), "https://"),
		Now: now, Location: m.Location, Log: m.Log,
	}).Handler())
	signals := m.Signals
	switch {
	case signals != nil:
	case c.LoadSignals:
		m.Log.Warn("--load-signals: WebSocket signals are published as cheat events without cheat records or attempt checks; for load tests only")
		signals = &signalEcho{rooms: rooms, pub: m.Hub}
	default:
		signals = m.Proctor
	}
	m.WS = &ws.Server{
		Auth: m.Auth, Policy: policy, Events: db, Hub: m.Hub, Signals: signals,
		OriginPatterns: c.originHosts(), Log: m.Log,
	}
	mux.Handle("GET /ws", m.WS.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	var h http.Handler = mux
	if c.DebugAddr != "" {
		// Metrics only with the debug listener, which serves them: the
		// default hot path stays as measured in docs/performance.md.
		m.registry = prometheus.NewRegistry()
		m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		h = httpapi.NewMetrics(m.registry).Wrap(h)
	}
	m.Handler = httpapi.Log(m.Log, httpapi.NoSniff(httpapi.CORS(c.Origins(), httpapi.ClientAddr(h))))
	m.Sender = &webhook.Sender{Outbox: db, Wake: db.OutboxWake(), Log: m.Log}
	return nil
}

// openBlobs returns the configured S3-compatible store, or else a store on
// the local disk under the data directory.
func (m *Main) openBlobs() (examhall.BlobStore, error) {
	c := &m.Config
	if c.Blob.Configured() {
		return blob.NewS3(c.Blob, nil)
	}
	if c.DB != "" {
		m.Log.Warn("snapshots are kept on this machine's disk: replicas sharing the PostgreSQL database do not see each other's; set EXAMHALL_BLOB_S3_* to share them",
			"dir", filepath.Join(c.Data, "blobs"))
	}
	return blob.NewDisk(filepath.Join(c.Data, "blobs"))
}

// warnUnconfigured says at start which providers are missing settings, so
// an operator learns it before a client gets the 503.
func (m *Main) warnUnconfigured(signer *live.Signer, ims *im.Service, uploads *upload.Service) {
	if !signer.Configured() {
		m.Log.Warn("live streaming is not configured: userInfo and userList answer 503 until EXAMHALL_LIVE_PUSH_DOMAIN, EXAMHALL_LIVE_PULL_DOMAIN, EXAMHALL_LIVE_PUSH_AUTH_KEY and EXAMHALL_LIVE_PULL_AUTH_KEY are set")
	}
	switch {
	case m.Config.Live.CallbackKey != "":
	case m.Config.Demo:
		m.Log.Warn("EXAMHALL_LIVE_CALLBACK_KEY is not set: /exam/userAct accepts stream callbacks without a signature (--demo only)")
	default:
		m.Log.Warn("EXAMHALL_LIVE_CALLBACK_KEY is not set: /exam/userAct refuses every stream callback (503), so online status stays 0, until it is")
	}
	var missing []string
	for _, s := range []examhall.IMServer{examhall.IMAliyunNew, examhall.IMAliyunOld, examhall.IMRongCloud} {
		if !ims.Configured(s) {
			missing = append(missing, string(s))
		}
	}
	if len(missing) > 0 {
		m.Log.Warn("IM servers not configured (getIMToken answers 503 for them)", "servers", strings.Join(missing, ","))
	}
	if !uploads.Configured() {
		m.Log.Warn("upload credentials are not configured: getOssConfig answers 503 until EXAMHALL_UPLOAD_* and EXAMHALL_ALIYUN_ACCESS_KEY_* are set")
	}
}

// Run listens on the configured address and serves until ctx is done or
// Close is called; a background reaper submits attempts whose time ran out,
// and a background sender delivers webhook events (several replicas on one
// PostgreSQL share the work).
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.ln = ln
	m.server = &http.Server{
		Handler:           m.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if err := m.Hub.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	ctx, m.stop = context.WithCancel(ctx)
	m.done = make(chan struct{})
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		m.Sender.Run(ctx)
	}()
	go func() {
		defer close(m.done)
		m.reap(ctx)
		<-senderDone
	}()
	errc := make(chan error, 2)
	go func() { errc <- m.server.Serve(ln) }()
	if m.Config.DebugAddr != "" {
		dbg := &http.Server{Addr: m.Config.DebugAddr, Handler: m.debugHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- fmt.Errorf("debug server: %w", dbg.ListenAndServe()) }()
		defer dbg.Close()
	}
	m.Log.Info("examhall listening", "addr", ln.Addr().String(), "store", string(m.DB.Dialect()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	m.Log.Info("shutting down: finishing requests in flight")
	if err := m.server.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	m.Log.Info("examhall stopped")
	return nil
}

// Addr returns the address Run listens on.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// reap submits expired attempts every few seconds, so an attempt whose time
// ran out is graded even when its candidate never comes back; and hourly
// deletes the events older than EventRetention (the bound of replay).
func (m *Main) reap(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	var trimmed time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if now.Sub(trimmed) >= time.Hour {
				trimmed = now
				if n, err := m.DB.DeleteEvents(ctx, now.Add(-m.Config.EventRetention)); err != nil && ctx.Err() == nil {
					m.Log.Error("deleting old events", "err", err)
				} else if n > 0 {
					m.Log.Info("deleted old events", "count", n)
				}
			}
			n, err := m.DB.SubmitExpiredAttempts(ctx, time.Now())
			if err != nil && ctx.Err() == nil {
				m.Log.Error("submitting expired attempts", "err", err)
			} else if n > 0 {
				m.Log.Info("submitted expired attempts", "count", n)
			}
		}
	}
}

// Close stops the server and the reaper, closes the hub (and so the
// WebSockets, with 1001) and closes the store.
func (m *Main) Close() error {
	if m.stop != nil {
		m.stop()
		<-m.done
	}
	if m.Hub != nil {
		m.Hub.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := m.WS.Wait(ctx); err != nil {
			m.Log.Warn("WebSockets still open at shutdown", "err", err)
		}
		cancel()
	}

	if m.DB != nil {
		return m.DB.Close()
	}
	return nil
}

// debugHandler serves Prometheus metrics and Go's profiler, for operators
// finding where a server spends its time.
func (m *Main) debugHandler() http.Handler {
	mux := http.NewServeMux()
	if m.registry != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if m.Config.DebugToken == "" {
		return mux // loopback only (Config.Validate)
	}
	want := []byte("Bearer " + m.Config.DebugToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "missing or wrong bearer token (EXAMHALL_DEBUG_TOKEN)", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// logLevel parses --log-level.
func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(strings.ToUpper(s)))
	return l, err
}
