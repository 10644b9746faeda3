// Package auth implements examhall.Authenticator and
// examhall.AppAuthenticator: bcrypt password hashing, session tokens for
// logins, join-link tokens bound to one room, and the open API's app
// credentials and access tokens.
//
// All tokens are JWTs signed with HS256 under one server key (see
// LoadOrCreateKey and ParseKey). Their audience claim names their kind
// (session, join or app) and each entry point accepts only its own kinds, so
// a token issued for one purpose never works for another.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"examhall"
)

// Default token lifetimes.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultAppTokenTTL = 2 * time.Hour // the open API's expires_in of 7200 s
)

// Token claims that tell the kinds apart.
const (
	issuer      = "examhall"
	kindSession = "examhall:session"
	kindJoin    = "examhall:join"
	kindApp     = "examhall:app"
)

// maxTokenLen bounds what is handed to the parser; our tokens are a few
// hundred bytes, and a huge header should not cost base64 and JSON work.
const maxTokenLen = 4096

// Errors returned as is. Their messages say nothing about which check failed,
// so a client cannot probe accounts, keys or token contents.
var (
	errAuthRequired   = examhall.Errorf(examhall.EUNAUTHORIZED, "authentication required")
	errInvalidToken   = examhall.Errorf(examhall.EUNAUTHORIZED, "invalid token")
	errBadLogin       = examhall.Errorf(examhall.EUNAUTHORIZED, "invalid account or password")
	errBadApp         = examhall.Errorf(examhall.EUNAUTHORIZED, "invalid appid or secret")
	errUserNotAllowed = examhall.Errorf(examhall.EUNAUTHORIZED, "account is disabled or no longer exists")
	errSessionEnded   = examhall.Errorf(examhall.EUNAUTHORIZED, "this session has ended (the password, role or access of the account changed); log in again")
)

// Config configures a Service.
type Config struct {
	// Key signs and verifies every token; at least MinKeyLen bytes. There
	// is deliberately no default: see LoadOrCreateKey.
	Key []byte
	// SessionTTL is how long a login stays valid; DefaultSessionTTL if zero.
	SessionTTL time.Duration
	// AppTokenTTL is how long an open-API access token stays valid;
	// DefaultAppTokenTTL if zero.
	AppTokenTTL time.Duration
	// Now returns the current time; time.Now if nil. Tests move it.
	Now func() time.Time
	// Attempts counts login attempts for the throttle; nil counts them in
	// this process only, which replicas sharing a store must not do (each
	// would allow its own MaxLoginFailures guesses).
	Attempts examhall.LoginAttempts
}

// Service implements examhall.Authenticator and examhall.AppAuthenticator
// over a user store and an app store. It is safe for concurrent use.
type Service struct {
	key         []byte
	sessionTTL  time.Duration
	appTokenTTL time.Duration
	now         func() time.Time
	parser      *jwt.Parser
	verified    verifiedTokens
	attempts    examhall.LoginAttempts
	users       examhall.UserService
	apps        examhall.AppService
}

var (
	_ examhall.Authenticator    = (*Service)(nil)
	_ examhall.AppAuthenticator = (*Service)(nil)
)

// New returns a Service. It refuses a key shorter than MinKeyLen bytes,
// negative lifetimes and missing stores.
func New(cfg Config, users examhall.UserService, apps examhall.AppService) (*Service, error) {
	if len(cfg.Key) < MinKeyLen {
		return nil, fmt.Errorf("auth: key is %d bytes, want at least %d", len(cfg.Key), MinKeyLen)
	}
	if cfg.SessionTTL < 0 || cfg.AppTokenTTL < 0 {
		return nil, errors.New("auth: token lifetimes must not be negative")
	}
	if users == nil || apps == nil {
		return nil, errors.New("auth: user and app services are required")
	}
	s := &Service{
		key:         slices.Clone(cfg.Key), // the caller may reuse its slice
		sessionTTL:  cfg.SessionTTL,
		appTokenTTL: cfg.AppTokenTTL,
		now:         cfg.Now,
		users:       users,
		apps:        apps,
		attempts:    cfg.Attempts,
	}
	if s.attempts == nil {
		s.attempts = &memoryAttempts{}
	}
	if s.sessionTTL == 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	if s.appTokenTTL == 0 {
		s.appTokenTTL = DefaultAppTokenTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	// One parser for every call: it holds no per-call state. Only HS256 is
	// accepted, which rules out "none" and the RS/HS key confusion; exp is
	// mandatory so no token lives forever. Strict decoding refuses
	// non-canonical base64, so a token has exactly one valid spelling.
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	)
	dummyHash() // pay for it now rather than in the first failed login
	return s, nil
}

// claims are the claims of every token. Audience holds exactly one kind.
type claims struct {
	jwt.RegisteredClaims
	Room string `json:"room,omitempty"` // join tokens only: the room ID
	// Version is the subject's User.TokenVersion when the token was
	// issued (session and join tokens); the token is void once it changes.
	Version int `json:"ver,omitempty"`
}

// Login checks an account's password and issues a session token valid until
// expire. A wrong account, a wrong password and a disabled user all return
// the same EUNAUTHORIZED error, after the same bcrypt work.
//
// Every attempt is first reserved in the throttle, atomically, against the
// normalised account and against the client address (addr, see addrKey);
// only an attempt whose reservations are within MaxLoginFailures and
// MaxAddressFailures gets its password checked, so however many guesses
// arrive at once, at most that many are hashed per LoginFailureWindow. The
// others answer ETOOMANY without hashing. A right password clears the
// account's count and gives back its address reservation, so only failures
// count against an address shared by many people.
func (s *Service) Login(ctx context.Context, account, password, addr string) (string, time.Time, error) {
	now := s.now()
	since := now.Add(-LoginFailureWindow)
	accountKey, addressKey := throttleKey(account), addrKey(addr)
	var granted []string // keys whose reservation was within their limit
	for _, k := range []struct {
		key string
		max int
	}{{accountKey, MaxLoginFailures}, {addressKey, MaxAddressFailures}} {
		if k.key == "" {
			continue
		}
		n, err := s.attempts.ReserveLoginAttempt(ctx, k.key, now, since)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("auth: login: %w", err)
		}
		if n > k.max {
			// Refused unchecked. The over-limit reservation stays (it
			// only counts past the limit), but one granted by another
			// bucket is given back, so a throttled address cannot use up
			// the accounts it tries.
			for _, g := range granted {
				if err := s.attempts.ReleaseLoginAttempt(ctx, g); err != nil {
					return "", time.Time{}, fmt.Errorf("auth: login: %w", err)
				}
			}
			return "", time.Time{}, errThrottled
		}
		granted = append(granted, k.key)
	}
	token, exp, err := s.login(ctx, account, password)
	if err != nil {
		return "", time.Time{}, err // the reservations stay, as failures
	}
	if accountKey != "" {
		if ferr := s.attempts.ClearLoginAttempts(ctx, accountKey); ferr != nil {
			return "", time.Time{}, fmt.Errorf("auth: login: %w", ferr)
		}
	}
	if addressKey != "" {
		if ferr := s.attempts.ReleaseLoginAttempt(ctx, addressKey); ferr != nil {
			return "", time.Time{}, fmt.Errorf("auth: login: %w", ferr)
		}
	}
	return token, exp, nil
}

// login checks the password and issues the session token.
func (s *Service) login(ctx context.Context, account, password string) (string, time.Time, error) {
	var u *examhall.User
	if account != "" && len(account) <= examhall.MaxAccountLen {
		var err error
		u, err = s.users.FindUserByAccount(ctx, account)
		if examhall.ErrorCode(err) == examhall.ENOTFOUND {
			u = nil
		} else if err != nil {
			return "", time.Time{}, fmt.Errorf("auth: login: %w", err)
		}
	}
	if u == nil || u.PasswordHash == "" {
		// Spend the same bcrypt time as a real comparison, so timing does
		// not tell which accounts exist.
		CheckPassword(string(dummyHash()), password)
		return "", time.Time{}, errBadLogin
	}
	// Check the password before Disabled so that a disabled account takes
	// as long to refuse as any other.
	if !CheckPassword(u.PasswordHash, password) || u.Disabled {
		return "", time.Time{}, errBadLogin
	}
	return s.Session(u)
}

// Authenticate verifies a session or join token and returns its caller with
// the user loaded; for a join token Caller.RoomID is the token's room. The
// token may carry a "Bearer " prefix. It returns examhall.ErrTokenExpired
// for an expired token and another EUNAUTHORIZED error for a missing or
// invalid one, for a user who is gone or disabled, and for a token issued
// before the user's TokenVersion last changed (a password reset, role
// change or disable ends every earlier session and join token). It does one
// store lookup, which the cache package serves for a second: a revocation
// takes effect at once on the replica that made it (its cache forgets the
// user) and within that second on the others.
func (s *Service) Authenticate(ctx context.Context, token string) (*examhall.Caller, error) {
	c, err := s.verify(token, kindSession, kindJoin)
	if err != nil {
		return nil, err
	}
	u, err := s.users.FindUserByID(ctx, c.Subject)
	if examhall.ErrorCode(err) == examhall.ENOTFOUND {
		return nil, errUserNotAllowed
	} else if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	if u.Disabled {
		return nil, errUserNotAllowed
	}
	if c.Version != u.TokenVersion {
		// The password, role or disabled flag changed since it was issued.
		return nil, errSessionEnded
	}
	return &examhall.Caller{User: u, RoomID: c.Room}, nil
}

// Session issues a session token for u without checking a password, for
// programs that act as a user they already hold (benchmarks, commands);
// nothing serves it over HTTP. EINVALID when u has no ID.
func (s *Service) Session(u *examhall.User) (string, time.Time, error) {
	if u == nil || u.ID == "" {
		return "", time.Time{}, examhall.Errorf(examhall.EINVALID, "session: user required")
	}
	exp := s.now().Add(s.sessionTTL).Truncate(time.Second) // the precision of exp
	token, err := s.sign(kindSession, u.ID, "", u.TokenVersion, exp)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// JoinToken issues the token of a join link: it authenticates u, bound to
// roomID, until exp. EINVALID when u has no ID, roomID is empty or too long,
// or exp is not in the future.
func (s *Service) JoinToken(u *examhall.User, roomID string, exp time.Time) (string, error) {
	if u == nil || u.ID == "" {
		return "", examhall.Errorf(examhall.EINVALID, "join token: user required")
	}
	if roomID == "" || len(roomID) > examhall.MaxIDLen {
		return "", examhall.Errorf(examhall.EINVALID, "join token: invalid room ID")
	}
	exp = exp.Truncate(time.Second)
	if !exp.After(s.now()) {
		return "", examhall.Errorf(examhall.EINVALID, "join token: expiry must be in the future")
	}
	return s.sign(kindJoin, u.ID, roomID, u.TokenVersion, exp)
}

// sign issues a token of the given kind for subject sub, whose
// User.TokenVersion is ver.
func (s *Service) sign(kind, sub, room string, ver int, exp time.Time) (string, error) {
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   sub,
			Audience:  jwt.ClaimStrings{kind},
			IssuedAt:  jwt.NewNumericDate(s.now()),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Room:    room,
		Version: ver,
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("auth: sign token: %w", err)
	}
	return token, nil
}

// verify parses token, checks its signature, expiry and issuer, and that its
// kind is one of kinds. Expiry is reported (as examhall.ErrTokenExpired)
// only for a token that would otherwise be accepted, so an expired token of
// the wrong kind is just invalid.
func (s *Service) verify(token string, kinds ...string) (*claims, error) {
	token = stripBearer(token)
	if token == "" {
		return nil, errAuthRequired
	}
	if len(token) > maxTokenLen {
		return nil, errInvalidToken
	}
	if c := s.verified.get(token); c != nil {
		// Verified before: only the kind and the expiry can have changed
		// their verdict since.
		if !slices.Contains(kinds, c.Audience[0]) {
			return nil, errInvalidToken
		}
		if !s.now().Before(c.ExpiresAt.Time) {
			return nil, examhall.ErrTokenExpired
		}
		return c, nil
	}
	var c claims
	_, err := s.parser.ParseWithClaims(token, &c, s.keyFunc)
	// The parser checks the signature before the claims, so an expiry
	// error means the token is ours.
	expired := errors.Is(err, jwt.ErrTokenExpired)
	if err != nil && !expired {
		return nil, errInvalidToken
	}
	if c.Issuer != issuer || c.Subject == "" || len(c.Audience) != 1 || !slices.Contains(kinds, c.Audience[0]) {
		return nil, errInvalidToken
	}
	if (c.Audience[0] == kindJoin) != (c.Room != "") {
		return nil, errInvalidToken // only join tokens name a room, and they always do
	}
	if expired {
		return nil, examhall.ErrTokenExpired
	}
	s.verified.put(token, &c)
	return &c, nil
}

// maxVerified bounds the verified-token cache; past it the cache starts over.
const maxVerified = 50_000

// verifiedTokens remembers the claims of tokens whose signature and claims
// were checked, so the clients' repeated requests skip HMAC and JSON parsing
// (the largest cost of a proctoring read). Keys are whole token strings, so
// a changed byte is a miss and is verified in full.
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]*claims
}

func (v *verifiedTokens) get(token string) *claims {
	v.mu.RLock()
	c := v.m[token]
	v.mu.RUnlock()
	return c
}

func (v *verifiedTokens) put(token string, c *claims) {
	if c.ExpiresAt == nil {
		return
	}
	v.mu.Lock()
	if v.m == nil || len(v.m) >= maxVerified {
		v.m = make(map[string]*claims)
	}
	v.m[token] = c
	v.mu.Unlock()
}

// keyFunc returns the verification key; the parser has already refused every
// algorithm but HS256, so the key is never used with another one.
func (s *Service) keyFunc(*jwt.Token) (any, error) {
	return s.key, nil
}

// stripBearer removes surrounding space and an optional "Bearer " prefix in
// any case: the AUI clients send the raw token, others the RFC 6750 form.
func stripBearer(token string) string {
	token = strings.TrimSpace(token)
	const scheme = "bearer"
	if len(token) < len(scheme) || !strings.EqualFold(token[:len(scheme)], scheme) {
		return token
	}
	if len(token) == len(scheme) {
		return "" // "Bearer " with nothing after it, trimmed
	}
	if token[len(scheme)] != ' ' {
		return token // not the scheme, just a token starting with these letters
	}
	return strings.TrimSpace(token[len(scheme)+1:])
}
