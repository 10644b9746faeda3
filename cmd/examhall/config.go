package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // a bare machine still knows Asia/Shanghai

	"examhall"
	"examhall/blob"
	"examhall/im"
	"examhall/live"
	"examhall/upload"
)

// Config is the whole configuration of examhall. Flags fill it, each with an
// EXAMHALL_* environment fallback; secrets come only from the environment so
// they never show in process listings.
type Config struct {
	Addr string // EXAMHALL_ADDR
	Data string // EXAMHALL_DATA: the SQLite file and the generated JWT key live here
	DB   string // EXAMHALL_DB: postgres://… selects PostgreSQL; empty = SQLite in Data
	Demo bool   // EXAMHALL_DEMO: seed the demo into an empty store on start
	TZ   string // EXAMHALL_TZ
	// ExamTimeFormat is how /exam/examInfo renders its times: "seed"
	// (YYYY/MM/DD HH:mm:ss in TZ, without a zone) or "rfc3339" (with the
	// offset, as the vendor's Java and Go servers send); EXAMHALL_EXAM_TIME_FORMAT.
	ExamTimeFormat string
	LogLevel       string // EXAMHALL_LOG_LEVEL: debug, info, warn, error
	// DebugAddr, when set, serves Prometheus metrics (/metrics) and Go's
	// profiler (/debug/pprof/) there; EXAMHALL_DEBUG_ADDR. Beyond loopback
	// it requires DebugToken (EXAMHALL_DEBUG_TOKEN) as a bearer token.
	DebugAddr  string
	DebugToken string

	PublicURL            string        // EXAMHALL_PUBLIC_URL: base of exam entry URLs; empty = http://localhost:<Addr's port>
	ExamineeClientURL    string        // EXAMHALL_EXAMINEE_CLIENT_URL: join-link base for examinees
	InvigilatorClientURL string        // EXAMHALL_INVIGILATOR_CLIENT_URL: join-link base for invigilators
	JoinMargin           time.Duration // EXAMHALL_JOIN_MARGIN: join links expire at the exam's end plus this
	CORSOrigins          string        // EXAMHALL_CORS_ORIGINS: comma-separated browser origins allowed to call the API; default the two client URLs

	// EventRetention bounds how far back a live page can replay events
	// (EXAMHALL_EVENT_RETENTION); older events are deleted hourly.
	EventRetention time.Duration
	// LoadSignals publishes WebSocket signals as cheat events with a
	// stand-in recorder while no proctoring service is wired (load tests
	// only; EXAMHALL_LOAD_SIGNALS).
	LoadSignals bool

	// FaceAPIDir is where npm ci put @vladmandic/face-api; the face check
	// of proctored exams is off while it is missing. EXAMHALL_FACE_API_DIR.
	FaceAPIDir string

	JWTKey      string        // EXAMHALL_JWT_KEY; empty = generated once into Data/jwt.key
	SessionTTL  time.Duration // EXAMHALL_SESSION_TTL
	AppTokenTTL time.Duration // EXAMHALL_OPENAPI_TOKEN_TTL (at most the open API's 2 hours)

	Live   live.Config
	IM     im.Config
	Upload upload.Config
	// Blob is the S3-compatible store of snapshots (EXAMHALL_BLOB_S3_*);
	// unset, snapshots go to Data/blobs.
	Blob blob.S3Config
}

// DefaultConfig returns the defaults: SQLite under ./data on :7001.
func DefaultConfig() Config {
	return Config{
		Addr:                 ":7001",
		Data:                 "./data",
		TZ:                   "Asia/Shanghai",
		ExamTimeFormat:       "seed",
		LogLevel:             "info",
		ExamineeClientURL:    "http://localhost:8001",
		InvigilatorClientURL: "http://localhost:8000",
		JoinMargin:           examhall.DefaultJoinMargin,
		SessionTTL:           12 * time.Hour,
		FaceAPIDir:           "node_modules/@vladmandic/face-api",
		AppTokenTTL:          2 * time.Hour,
		EventRetention:       7 * 24 * time.Hour,
	}
}

// Location returns the configured time zone.
func (c *Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return nil, fmt.Errorf("EXAMHALL_TZ %q: %w", c.TZ, err)
	}
	return loc, nil
}

// Validate checks that the settings agree.
func (c *Config) Validate() error {
	var errs []error
	if _, err := c.Location(); err != nil {
		errs = append(errs, err)
	}
	if c.ExamTimeFormat != "seed" && c.ExamTimeFormat != "rfc3339" {
		errs = append(errs, fmt.Errorf(`--exam-time-format (EXAMHALL_EXAM_TIME_FORMAT) %q: want "seed" or "rfc3339"`, c.ExamTimeFormat))
	}
	if c.DB == "" && c.Data == "" {
		errs = append(errs, errors.New("--data (EXAMHALL_DATA) or --db (EXAMHALL_DB) is required"))
	}
	if c.AppTokenTTL <= 0 || c.AppTokenTTL > 2*time.Hour {
		errs = append(errs, errors.New("EXAMHALL_OPENAPI_TOKEN_TTL must be positive and at most 2h"))
	}
	if c.SessionTTL <= 0 {
		errs = append(errs, errors.New("EXAMHALL_SESSION_TTL must be positive"))
	}
	if c.EventRetention < time.Hour {
		errs = append(errs, errors.New("EXAMHALL_EVENT_RETENTION must be at least 1h"))
	}
	if c.JoinMargin < 0 {
		errs = append(errs, errors.New("EXAMHALL_JOIN_MARGIN must not be negative"))
	}
	if c.Blob.Configured() {
		if err := c.Blob.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.DebugAddr != "" && c.DebugToken == "" {
		if host, _, err := net.SplitHostPort(c.DebugAddr); err != nil {
			errs = append(errs, fmt.Errorf("--debug-addr (EXAMHALL_DEBUG_ADDR) %q: %w", c.DebugAddr, err))
		} else if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			errs = append(errs, fmt.Errorf("--debug-addr (EXAMHALL_DEBUG_ADDR) %q listens beyond loopback: "+
				"set EXAMHALL_DEBUG_TOKEN, which callers then send as a bearer token", c.DebugAddr))
		}
	}
	return errors.Join(errs...)
}

// publicURL is PublicURL, or when it is empty this host at Addr's port.
func (c *Config) publicURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		port = "7001"
	}
	return "http://localhost:" + port
}

// originHosts are the hosts of browser pages allowed to open the live
// room's WebSocket besides the request's own Host: the public URL's.
func (c *Config) originHosts() []string {
	if u, err := url.Parse(c.publicURL()); err == nil && u.Host != "" {
		return []string{u.Host}
	}
	return nil
}

// eventChannel is the PostgreSQL NOTIFY channel of the live room's events
// for dsn: one per schema (search_path), since channels are per database.
func eventChannel(dsn string) string {
	ch := "examhall_events"
	if u, err := url.Parse(dsn); err == nil {
		if sp := u.Query().Get("search_path"); sp != "" {
			ch += "_" + sp
		}
	}
	return ch
}

// DSN is the store to open: --db, or the SQLite file in --data.
func (c *Config) DSN() string {
	if c.DB != "" {
		return c.DB
	}
	return strings.TrimRight(c.Data, "/") + "/examhall.db"
}

// Origins returns the browser origins allowed to call the API: the
// configured list, or the origins of the two client pages.
func (c *Config) Origins() []string {
	if c.CORSOrigins != "" {
		var out []string
		for _, o := range strings.Split(c.CORSOrigins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				out = append(out, o)
			}
		}
		return out
	}
	var out []string
	for _, u := range []string{c.ExamineeClientURL, c.InvigilatorClientURL} {
		if p, err := url.Parse(u); err == nil && p.Scheme != "" && p.Host != "" {
			out = append(out, p.Scheme+"://"+p.Host)
		}
	}
	return out
}

// env reads EXAMHALL_* settings; tests swap it.
var env = os.Getenv

// storeFlags registers the flags every command that opens the store shares.
func (c *Config) storeFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", envOr("EXAMHALL_DATA", c.Data), "data directory (env EXAMHALL_DATA)")
	fs.StringVar(&c.DB, "db", envOr("EXAMHALL_DB", c.DB), "database URL; postgres://… for PostgreSQL, empty for SQLite in --data (env EXAMHALL_DB)")
	fs.StringVar(&c.TZ, "tz", envOr("EXAMHALL_TZ", c.TZ), "time zone times are shown in (env EXAMHALL_TZ)")
	fs.StringVar(&c.ExamTimeFormat, "exam-time-format", envOr("EXAMHALL_EXAM_TIME_FORMAT", c.ExamTimeFormat), `examInfo times: "seed" (YYYY/MM/DD HH:mm:ss, no zone) or "rfc3339" (env EXAMHALL_EXAM_TIME_FORMAT)`)
	fs.StringVar(&c.LogLevel, "log-level", envOr("EXAMHALL_LOG_LEVEL", c.LogLevel), "debug, info, warn or error (env EXAMHALL_LOG_LEVEL)")
}

// serveFlags registers the flags of serve and demo.
func (c *Config) serveFlags(fs *flag.FlagSet) {
	c.storeFlags(fs)
	fs.StringVar(&c.Addr, "addr", envOr("EXAMHALL_ADDR", c.Addr), "listen address (env EXAMHALL_ADDR)")
	fs.StringVar(&c.DebugAddr, "debug-addr", envOr("EXAMHALL_DEBUG_ADDR", c.DebugAddr), "serve /metrics and /debug/pprof/ on this address, e.g. 127.0.0.1:6060; beyond loopback only with EXAMHALL_DEBUG_TOKEN (env EXAMHALL_DEBUG_ADDR)")
	fs.BoolVar(&c.Demo, "demo", envBool("EXAMHALL_DEMO", c.Demo), "seed the demo into an empty store (env EXAMHALL_DEMO)")
	fs.StringVar(&c.PublicURL, "public-url", envOr("EXAMHALL_PUBLIC_URL", c.PublicURL), "public base URL of exam entry links; default http://localhost:<port of --addr> (env EXAMHALL_PUBLIC_URL)")
	fs.StringVar(&c.ExamineeClientURL, "examinee-client", envOr("EXAMHALL_EXAMINEE_CLIENT_URL", c.ExamineeClientURL), "examinee client page, base of join links (env EXAMHALL_EXAMINEE_CLIENT_URL)")
	fs.StringVar(&c.InvigilatorClientURL, "invigilator-client", envOr("EXAMHALL_INVIGILATOR_CLIENT_URL", c.InvigilatorClientURL), "invigilator client page, base of join links (env EXAMHALL_INVIGILATOR_CLIENT_URL)")
	fs.StringVar(&c.CORSOrigins, "cors-origins", envOr("EXAMHALL_CORS_ORIGINS", c.CORSOrigins), "comma-separated browser origins allowed to call the API; default the two client URLs' origins (env EXAMHALL_CORS_ORIGINS)")
	fs.DurationVar(&c.JoinMargin, "join-margin", envDuration("EXAMHALL_JOIN_MARGIN", c.JoinMargin), "join links stay valid this long after the exam's end (env EXAMHALL_JOIN_MARGIN)")
	fs.BoolVar(&c.LoadSignals, "load-signals", envBool("EXAMHALL_LOAD_SIGNALS", c.LoadSignals), "load tests only: publish WebSocket signals as cheat events with a stand-in recorder (no cheat records, no attempt checks) while proctoring is not wired (env EXAMHALL_LOAD_SIGNALS)")
	fs.DurationVar(&c.EventRetention, "event-retention", envDuration("EXAMHALL_EVENT_RETENTION", c.EventRetention), "live-room events are kept (for pages to replay) this long (env EXAMHALL_EVENT_RETENTION)")
	fs.StringVar(&c.FaceAPIDir, "face-api-dir", envOr("EXAMHALL_FACE_API_DIR", c.FaceAPIDir), "where `npm ci` installed @vladmandic/face-api; the face check is off while it is missing (env EXAMHALL_FACE_API_DIR)")
	fs.DurationVar(&c.SessionTTL, "session-ttl", envDuration("EXAMHALL_SESSION_TTL", c.SessionTTL), "login session lifetime (env EXAMHALL_SESSION_TTL)")
	fs.DurationVar(&c.AppTokenTTL, "openapi-token-ttl", envDuration("EXAMHALL_OPENAPI_TOKEN_TTL", c.AppTokenTTL), "open-API token lifetime, at most 2h (env EXAMHALL_OPENAPI_TOKEN_TTL)")
}

// loadSecrets fills the settings that come only from the environment.
func (c *Config) loadSecrets() {
	c.JWTKey = env("EXAMHALL_JWT_KEY")
	c.DebugToken = env("EXAMHALL_DEBUG_TOKEN")
	c.Live = live.Config{
		PushDomain:      env("EXAMHALL_LIVE_PUSH_DOMAIN"),
		PullDomain:      env("EXAMHALL_LIVE_PULL_DOMAIN"),
		SmallPullDomain: env("EXAMHALL_LIVE_SMALL_PULL_DOMAIN"),
		PushAuthKey:     env("EXAMHALL_LIVE_PUSH_AUTH_KEY"),
		PullAuthKey:     env("EXAMHALL_LIVE_PULL_AUTH_KEY"),
		AppName:         env("EXAMHALL_LIVE_APP_NAME"),
		SmallSuffix:     env("EXAMHALL_LIVE_SMALL_SUFFIX"),
		AuthTTL:         envDuration("EXAMHALL_LIVE_AUTH_TTL", 0),
		CallbackKey:     env("EXAMHALL_LIVE_CALLBACK_KEY"),
	}
	c.IM = im.Config{
		AliyunAppID:     env("EXAMHALL_IM_ALIYUN_APP_ID"),
		AliyunAppKey:    env("EXAMHALL_IM_ALIYUN_APP_KEY"),
		AliyunAppSign:   env("EXAMHALL_IM_ALIYUN_APP_SIGN"),
		AliyunTokenTTL:  envDuration("EXAMHALL_IM_ALIYUN_TOKEN_TTL", 0),
		RongAppKey:      env("EXAMHALL_IM_RONGCLOUD_APP_KEY"),
		RongAppSecret:   env("EXAMHALL_IM_RONGCLOUD_APP_SECRET"),
		RongAPIURL:      env("EXAMHALL_IM_RONGCLOUD_API_URL"),
		AccessKeyID:     env("EXAMHALL_ALIYUN_ACCESS_KEY_ID"),
		AccessKeySecret: env("EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"),
		OldAppID:        env("EXAMHALL_IM_ALIYUN_OLD_APP_ID"),
		OldAPIURL:       env("EXAMHALL_IM_ALIYUN_OLD_API_URL"),
	}
	c.Upload = upload.Config{
		RoleARN:         env("EXAMHALL_UPLOAD_ROLE_ARN"),
		Region:          env("EXAMHALL_UPLOAD_REGION"),
		Bucket:          env("EXAMHALL_UPLOAD_BUCKET"),
		BasePath:        env("EXAMHALL_UPLOAD_BASE_PATH"),
		STSURL:          env("EXAMHALL_UPLOAD_STS_URL"),
		AccessKeyID:     env("EXAMHALL_ALIYUN_ACCESS_KEY_ID"),
		AccessKeySecret: env("EXAMHALL_ALIYUN_ACCESS_KEY_SECRET"),
		Duration:        envDuration("EXAMHALL_UPLOAD_DURATION", 0),
	}
	c.Blob = blob.S3Config{
		Endpoint:  env("EXAMHALL_BLOB_S3_ENDPOINT"),
		Bucket:    env("EXAMHALL_BLOB_S3_BUCKET"),
		AccessKey: env("EXAMHALL_BLOB_S3_ACCESS_KEY"),
		SecretKey: env("EXAMHALL_BLOB_S3_SECRET_KEY"),
		Region:    env("EXAMHALL_BLOB_S3_REGION"),
		Secure:    envBool("EXAMHALL_BLOB_S3_SECURE", true),
		Prefix:    env("EXAMHALL_BLOB_S3_PREFIX"),
	}
}

func envOr(name, def string) string {
	if v := env(name); v != "" {
		return v
	}
	return def
}

// envErrs collects environment values that did not parse, so a typo in
// EXAMHALL_* is reported instead of silently replaced by the default.
var envErrs []error

func envBool(name string, def bool) bool {
	v := env(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		envErrs = append(envErrs, fmt.Errorf("%s=%q is not a boolean", name, v))
		return def
	}
	return b
}

func envDuration(name string, def time.Duration) time.Duration {
	v := env(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		envErrs = append(envErrs, fmt.Errorf("%s=%q is not a duration such as 90m or 2h", name, v))
		return def
	}
	return d
}

// envError returns the collected environment errors and forgets them.
func envError() error {
	err := errors.Join(envErrs...)
	envErrs = nil
	return err
}
