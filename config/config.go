// Package config owns Waakvlam's settings: environment variables, which
// flags may override, checked at start so that a wrong setting stops the
// process with one clear line naming the variable.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/waakvlam/waakvlam/internal/redact"
	"github.com/waakvlam/waakvlam/seal"
)

// Config is the checked configuration.
type Config struct {
	TelegramToken   string
	TelegramAPIURL  string
	Mode            string // polling or webhook
	WebhookURL      string
	WebhookSecret   string
	RedisURL        string
	RedisCAFile     string // PEM file of the CAs a rediss:// server's certificate must chain to ("": the system's)
	HTTPAddr        string
	AdminAddr       string // /metrics, /healthz, /readyz for operators ("": none)
	TimeZone        *time.Location
	InviteTTL       time.Duration
	BotUsername     string
	LogLevel        string
	MattermostURL   string
	MattermostToken string
	MattermostTeam  string
	// MattermostDown is how long Mattermost may be unreachable before
	// /readyz says not ready (the coach queue waits meanwhile).
	MattermostDown time.Duration
	StaffFile      string
	CommandURL     string
	ProgrammeFile  string
	// Telegram's send limits, shared by all replicas through Redis:
	// messages per second for the whole bot and per chat (0: no limit),
	// and how many may go at once.
	RateGlobal      float64
	RateGlobalBurst int
	RateChat        float64
	RateChatBurst   int
	// VerdictRetention is how long a coach's verdict on a client post is
	// kept with the client's words, for training the recogniser.
	VerdictRetention time.Duration
	// AccessLogRetention is how long access log entries are kept (NEN
	// 7513: at least five years).
	AccessLogRetention time.Duration
	// Retention periods of the other classes of data (retention.go).
	InFlightRetention, DialogRetention, MoodRetention, EventRetention time.Duration
	AlertRetention, AuditRetention, StoppedRetention                  time.Duration
	// Keys are the key-encryption keys (keys.go), the current first; nil
	// when none was given. DataKeyFile is where they came from ("" for
	// WAAKVLAM_DATA_KEY). AOFRewrite is how often Redis is asked to
	// rewrite its AOF (0: never).
	Keys        *seal.Ring
	DataKeyFile string
	AOFRewrite  time.Duration
}

// Error names the variable that is missing or wrong.
type Error struct{ Var, Problem string }

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Need says which settings a command cannot run without.
type Need struct {
	Telegram bool // a token
	Redis    bool
	Keys     bool // a key-encryption key (WAAKVLAM_DATA_KEY or WAAKVLAM_DATA_KEY_FILE)
}

type setting struct {
	env, flag, def, help string
	dst                  *string
}

// Load reads the environment (getenv) and then the flags in args, which
// override it. The returned FlagSet holds the remaining arguments.
func Load(name string, getenv func(string) string, args []string, need Need) (Config, *flag.FlagSet, error) {
	var raw struct {
		token, api, mode, hook, secret, redisURL, addr, tz, ttl, user, level string
		adminAddr, redisCA                                                   string
		verdictKeep, accessKeep, mmDown                                      string
		mmURL, mmToken, mmTeam, staffFile, cmdURL, progFile                  string
		rateGlobal, rateGlobalBurst, rateChat, rateChatBurst                 string
	}
	var keysRaw struct{ file, aof string }
	settings := []setting{
		{"WAAKVLAM_TELEGRAM_TOKEN", "telegram-token", "", "Telegram bot token", &raw.token},
		{"WAAKVLAM_TELEGRAM_API_URL", "telegram-api-url", "https://api.telegram.org", "Bot API server", &raw.api},
		{"WAAKVLAM_TELEGRAM_MODE", "telegram-mode", "polling", "polling or webhook", &raw.mode},
		{"WAAKVLAM_WEBHOOK_URL", "webhook-url", "", "public https URL of the webhook", &raw.hook},
		{"WAAKVLAM_WEBHOOK_SECRET", "webhook-secret", "", "secret token Telegram sends with each webhook call", &raw.secret},
		{"WAAKVLAM_REDIS_URL", "redis-url", "", "redis://, rediss://, redis+sentinel:// or redis+cluster:// URL", &raw.redisURL},
		{"WAAKVLAM_REDIS_CA_FILE", "redis-ca-file", "", "PEM file with the CA certificates of a rediss:// server (empty: the system's)", &raw.redisCA},
		{"WAAKVLAM_HTTP_ADDR", "http-addr", ":8080", "public address of the webhook, /mattermost/command, /mattermost/action, /healthz and /readyz", &raw.addr},
		{"WAAKVLAM_ADMIN_ADDR", "admin-addr", "127.0.0.1:8081", "operators' address of /metrics, /healthz and /readyz (keep it off the internet)", &raw.adminAddr},
		{"WAAKVLAM_TIMEZONE", "timezone", "Europe/Amsterdam", "time zone of schedules and quiet hours", &raw.tz},
		{"WAAKVLAM_INVITE_TTL", "invite-ttl", "336h", "how long an invite code works", &raw.ttl},
		{"WAAKVLAM_VERDICT_RETENTION", "verdict-retention", "2160h", "how long a coach's verdict on a client post is kept with the client's words (for training)", &raw.verdictKeep},
		{"WAAKVLAM_ACCESS_LOG_RETENTION", "access-log-retention", "43830h", "how long the access log (who read or changed which client's data) is kept; 43830h is five years", &raw.accessKeep},
		{"WAAKVLAM_BOT_USERNAME", "bot-username", "", "bot username for invite links (asked from Telegram when empty)", &raw.user},
		{"WAAKVLAM_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", &raw.level},
		{"WAAKVLAM_MATTERMOST_URL", "mattermost-url", "", "Mattermost server of the coaches (empty: no coach bridge)", &raw.mmURL},
		{"WAAKVLAM_MATTERMOST_TOKEN", "mattermost-token", "", "access token of the Mattermost bot account", &raw.mmToken},
		{"WAAKVLAM_MATTERMOST_TEAM", "mattermost-team", "", "Mattermost team (name) of the client channels", &raw.mmTeam},
		{"WAAKVLAM_MATTERMOST_DOWN_READY", "mattermost-down-ready", "60s", "how long Mattermost may be unreachable before /readyz says not ready", &raw.mmDown},
		{"WAAKVLAM_STAFF_FILE", "staff-file", "", "YAML file with coaches, project leaders and the on-call contact", &raw.staffFile},
		{"WAAKVLAM_PROGRAMME_FILE", "programme-file", "", "YAML file with quiet hours, levels, groups, snooze and grace times (see programme/example.yaml)", &raw.progFile},
		{"WAAKVLAM_RATE_GLOBAL", "rate-global", "30", "messages per second to Telegram for the whole bot, over all replicas (0: no limit)", &raw.rateGlobal},
		{"WAAKVLAM_RATE_GLOBAL_BURST", "rate-global-burst", "10", "messages that may go to Telegram at once (urgent replies may use all of it, bulk 2)", &raw.rateGlobalBurst},
		{"WAAKVLAM_RATE_CHAT", "rate-chat", "1", "messages per second to one chat (0: no limit)", &raw.rateChat},
		{"WAAKVLAM_RATE_CHAT_BURST", "rate-chat-burst", "3", "messages that may go to one chat at once", &raw.rateChatBurst},
		{"WAAKVLAM_MATTERMOST_COMMAND_URL", "mattermost-command-url", "", "public URL of /mattermost/command for the /waakvlam slash command (empty: direct messages only)", &raw.cmdURL},
		{"WAAKVLAM_DATA_KEY_FILE", "data-key-file", "", "file of the key-encryption keys, one \"id base64key\" a line, the first current (or WAAKVLAM_DATA_KEY, never a flag)", &keysRaw.file},
		{"WAAKVLAM_AOF_REWRITE", "aof-rewrite", "24h", "how often Redis rewrites its append-only file, so deleted data leaves the disk (0: never)", &keysRaw.aof},
	}
	retRaw := make([]string, len(RetentionSettings))
	settings = retentionFlags(settings, retRaw)
	// The flags show their built-in defaults, never the environment's
	// values: usage text (-h, a mistyped flag) must not print the bot
	// token, the Mattermost token, the webhook secret or a Redis password.
	// A variable applies where its flag is not given.
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, s := range settings {
		fs.StringVar(s.dst, s.flag, s.def, s.help+" ("+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fs, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if v := getenv(s.env); v != "" && !given[s.flag] {
			*s.dst = v
		}
	}
	c := Config{TelegramToken: strings.TrimSpace(raw.token), TelegramAPIURL: strings.TrimRight(raw.api, "/"), Mode: raw.mode,
		WebhookURL: raw.hook, WebhookSecret: raw.secret, RedisURL: raw.redisURL, RedisCAFile: raw.redisCA,
		HTTPAddr: raw.addr, AdminAddr: raw.adminAddr,
		BotUsername: strings.TrimPrefix(raw.user, "@"), LogLevel: raw.level,
		MattermostURL: strings.TrimRight(raw.mmURL, "/"), MattermostToken: raw.mmToken, MattermostTeam: raw.mmTeam,
		StaffFile: raw.staffFile, CommandURL: raw.cmdURL, ProgrammeFile: raw.progFile}
	var err error
	for _, r := range []struct {
		env, raw string
		f        *float64
		n        *int
	}{
		{"WAAKVLAM_RATE_GLOBAL", raw.rateGlobal, &c.RateGlobal, nil},
		{"WAAKVLAM_RATE_GLOBAL_BURST", raw.rateGlobalBurst, nil, &c.RateGlobalBurst},
		{"WAAKVLAM_RATE_CHAT", raw.rateChat, &c.RateChat, nil},
		{"WAAKVLAM_RATE_CHAT_BURST", raw.rateChatBurst, nil, &c.RateChatBurst},
	} {
		if r.f != nil {
			v, perr := strconv.ParseFloat(r.raw, 64)
			if perr != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return c, fs, &Error{r.env, fmt.Sprintf("%q: give messages per second, for example 30 (0: no limit)", r.raw)}
			}
			*r.f = v
			continue
		}
		v, perr := strconv.Atoi(r.raw)
		if perr != nil || v < 1 {
			return c, fs, &Error{r.env, fmt.Sprintf("%q: give a whole number of 1 or more", r.raw)}
		}
		*r.n = v
	}
	if c.TimeZone, err = time.LoadLocation(raw.tz); err != nil || raw.tz == "" {
		return c, fs, &Error{"WAAKVLAM_TIMEZONE", fmt.Sprintf("unknown time zone %q, for example Europe/Amsterdam", raw.tz)}
	}
	if c.InviteTTL, err = time.ParseDuration(raw.ttl); err != nil || c.InviteTTL <= 0 {
		return c, fs, &Error{"WAAKVLAM_INVITE_TTL", fmt.Sprintf("%q is not a duration, for example 336h", raw.ttl)}
	}
	if c.VerdictRetention, err = time.ParseDuration(raw.verdictKeep); err != nil || c.VerdictRetention <= 0 {
		return c, fs, &Error{"WAAKVLAM_VERDICT_RETENTION", fmt.Sprintf("%q is not a duration, for example 2160h (90 days)", raw.verdictKeep)}
	}
	if c.AccessLogRetention, err = time.ParseDuration(raw.accessKeep); err != nil || c.AccessLogRetention <= 0 {
		return c, fs, &Error{"WAAKVLAM_ACCESS_LOG_RETENTION", fmt.Sprintf("%q is not a duration, for example 43830h (five years)", raw.accessKeep)}
	}
	if c.MattermostDown, err = time.ParseDuration(raw.mmDown); err != nil || c.MattermostDown <= 0 {
		return c, fs, &Error{"WAAKVLAM_MATTERMOST_DOWN_READY", fmt.Sprintf("%q is not a duration, for example 60s", raw.mmDown)}
	}
	if err := parseRetention(&c, retRaw); err != nil {
		return c, fs, err
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fs, &Error{"WAAKVLAM_TELEGRAM_API_URL", "must be an http(s) URL"}
	}
	if need.Telegram && !tokenRe.MatchString(c.TelegramToken) {
		if c.TelegramToken == "" {
			return c, fs, &Error{"WAAKVLAM_TELEGRAM_TOKEN", "missing; get one from @BotFather"}
		}
		return c, fs, &Error{"WAAKVLAM_TELEGRAM_TOKEN", "does not look like a bot token (123456:ABC...)"}
	}
	switch c.Mode {
	case "polling":
	case "webhook":
		u, err := url.Parse(c.WebhookURL)
		if c.WebhookURL == "" || err != nil || u.Scheme != "https" || u.Host == "" {
			return c, fs, &Error{"WAAKVLAM_WEBHOOK_URL", "webhook mode needs a public https URL"}
		}
		if !secretRe.MatchString(c.WebhookSecret) {
			return c, fs, &Error{"WAAKVLAM_WEBHOOK_SECRET", "webhook mode needs a secret of 16-256 characters A-Z, a-z, 0-9, _ or -"}
		}
	default:
		return c, fs, &Error{"WAAKVLAM_TELEGRAM_MODE", fmt.Sprintf("%q: use polling or webhook", c.Mode)}
	}
	if need.Redis {
		if c.RedisURL == "" {
			return c, fs, &Error{"WAAKVLAM_REDIS_URL", "missing, for example redis://localhost:6379/0"}
		}
		if _, err := RedisOptions(c.RedisURL); err != nil {
			return c, fs, &Error{"WAAKVLAM_REDIS_URL", err.Error()}
		}
	}
	if c.RedisCAFile != "" {
		if err := checkCAFile(c.RedisCAFile, c.RedisURL); err != nil {
			return c, fs, &Error{"WAAKVLAM_REDIS_CA_FILE", err.Error()}
		}
	}
	if err := loadKeys(&c, keysRaw.file, keysRaw.aof, getenv, need); err != nil {
		return c, fs, err
	}
	if c.AdminAddr != "" && c.AdminAddr == c.HTTPAddr {
		return c, fs, &Error{"WAAKVLAM_ADMIN_ADDR", "must differ from WAAKVLAM_HTTP_ADDR: /metrics stays off the public address"}
	}
	if c.MattermostURL != "" {
		if u, err := url.Parse(c.MattermostURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fs, &Error{"WAAKVLAM_MATTERMOST_URL", "must be an http(s) URL"}
		}
		if c.MattermostToken == "" {
			return c, fs, &Error{"WAAKVLAM_MATTERMOST_TOKEN", "missing: the access token of the bot account"}
		}
		if c.MattermostTeam == "" {
			return c, fs, &Error{"WAAKVLAM_MATTERMOST_TEAM", "missing: the team name of the client channels"}
		}
		if c.StaffFile == "" {
			return c, fs, &Error{"WAAKVLAM_STAFF_FILE", "missing: the coach bridge needs the list of coaches"}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fs, &Error{"WAAKVLAM_LOG_LEVEL", "use debug, info, warn or error"}
	}
	return c, fs, nil
}

var (
	tokenRe  = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{20,}$`)
	secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`)
)

// RedisOptions turns a Redis URL into client options. Topology is
// configuration:
//
//	redis://[user:password@]host:port[/db]                        one server
//	redis+sentinel://[user:password@]h1:26379[,h2:26379]/master    Sentinel
//	redis+cluster://[user:password@]h1:7000[,h2:7001]              Cluster
//
// rediss://, rediss+sentinel:// and rediss+cluster:// do the same over TLS
// 1.2 or later with the server's certificate checked (for Sentinel: the
// sentinels and the servers). The user and password are those of the Redis
// servers (the ACL user of deploy/redis-acl.conf); sentinels that want
// their own get ?sentinel_username=...&sentinel_password=... . Special
// characters in a user name or password are %-escaped, as in any URL.
// Errors never repeat any part of the URL but its scheme.
func RedisOptions(raw string) (*redis.UniversalOptions, error) {
	o, err := redisOptions(raw)
	if err != nil {
		// Belt and braces: the messages below are written not to quote
		// the URL; mask its secrets anyway.
		return nil, errors.New(redact.New(redisSecrets(raw)...).String(err.Error()))
	}
	return o, nil
}

var schemeRe = regexp.MustCompile(`^[a-z+]{1,20}$`)

func redisOptions(raw string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("not a URL: start with redis://, rediss://, redis+sentinel:// or redis+cluster://")
	}
	base, topo, _ := strings.Cut(scheme, "+")
	if (base != "redis" && base != "rediss") || (topo != "" && topo != "sentinel" && topo != "cluster") {
		shown := "this scheme"
		if schemeRe.MatchString(scheme) {
			shown = fmt.Sprintf("scheme %q", scheme)
		}
		return nil, fmt.Errorf("%s: use redis, rediss, redis+sentinel, rediss+sentinel, redis+cluster or rediss+cluster", shown)
	}
	if topo == "" {
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, urlProblem(err)
		}
		if o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify {
			return nil, errors.New("skip_verify is not allowed: give the server's CA in WAAKVLAM_REDIS_CA_FILE")
		}
		return &redis.UniversalOptions{Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig}, nil
	}
	// host lists (h1:26379,h2:26379) are no URL host for net/url: split by hand.
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	o := &redis.UniversalOptions{}
	hosts := authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		var err error
		if o.Username, o.Password, err = userPassword(authority[:at]); err != nil {
			return nil, err
		}
		hosts = authority[at+1:]
	}
	if hosts == "" {
		return nil, errors.New("no hosts in the URL")
	}
	defPort := "26379"
	if topo == "cluster" {
		defPort = "6379"
	}
	list := strings.Split(hosts, ",")
	for i, h := range list {
		if _, _, err := net.SplitHostPort(h); err != nil && h != "" && !strings.Contains(h, ":") {
			h = net.JoinHostPort(h, defPort)
		}
		host, port, err := net.SplitHostPort(h)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("host %d of %d: give host:port", i+1, len(list))
		}
		o.Addrs = append(o.Addrs, h)
	}
	if strings.Contains(tail, "#") {
		return nil, errors.New("a # in the URL: write a # in a password as %23")
	}
	path, query, _ := strings.Cut(tail, "?")
	path, err := url.PathUnescape(strings.TrimPrefix(path, "/"))
	if err != nil {
		return nil, errors.New("a % in the path is not followed by two hex digits")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("cannot read the options after ?: %-escape special characters in their values")
	}
	for k := range q {
		if topo != "sentinel" || (k != "sentinel_username" && k != "sentinel_password") {
			return nil, errors.New("unknown option after ?: only sentinel_username and sentinel_password, for Sentinel")
		}
	}
	o.SentinelUsername, o.SentinelPassword = q.Get("sentinel_username"), q.Get("sentinel_password")
	if topo == "sentinel" {
		if path == "" || strings.Contains(path, "/") {
			return nil, errors.New("a Sentinel URL needs the master name as its path: redis+sentinel://h1:26379,h2:26379/mymaster")
		}
		o.MasterName = path
	} else {
		if path != "" && path != "0" {
			return nil, errors.New("a Cluster has only database 0: leave the path empty")
		}
		o.IsClusterMode = true
	}
	if base == "rediss" {
		// No ServerName: each connection checks the name it dials, since
		// sentinels and cluster nodes hand out the other servers' addresses.
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return o, nil
}

// userPassword reads the user information of a URL without repeating it in
// an error.
func userPassword(info string) (user, password string, err error) {
	u, p, hasPass := strings.Cut(info, ":")
	if user, err = url.PathUnescape(u); err == nil && hasPass {
		password, err = url.PathUnescape(p)
	}
	if err != nil {
		return "", "", errors.New("a % in the user name or password is not followed by two hex digits: write a % as %25")
	}
	return user, password, nil
}

// urlProblem describes why go-redis could not read a URL without quoting
// it: its messages repeat parts of the URL, which can be the password when
// a special character in it was not escaped.
func urlProblem(err error) error {
	var ee url.EscapeError
	msg := err.Error()
	switch {
	case errors.As(err, &ee):
		return errors.New("a % in the URL is not followed by two hex digits: write a % in a password as %25")
	case strings.Contains(msg, "database number"), strings.Contains(msg, "URL path"):
		return errors.New("the path must be a database number, for example /0")
	case strings.Contains(msg, "option"), strings.Contains(msg, " number"), strings.Contains(msg, " duration"), strings.Contains(msg, " boolean"):
		return errors.New("an unknown or malformed option after ? (the options of go-redis ParseURL)")
	}
	return errors.New("cannot read the URL: give host:port and %-escape special characters (: / ? # @ %) in the user name and password")
}

// redisSecrets are the passwords in a Redis URL, as written and unescaped,
// also when the URL cannot be read.
func redisSecrets(raw string) []string {
	var out []string
	if o, err := redisOptions(raw); err == nil {
		out = append(out, o.Password, o.SentinelPassword)
	}
	_, rest, _ := strings.Cut(raw, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		info := rest[:at]
		// Up to the last @ may run into a path or query when the password
		// has an unescaped @: mask the whole stretch and the password.
		out = append(out, info)
		if _, p, ok := strings.Cut(info, ":"); ok {
			out = append(out, p)
			if up, err := url.PathUnescape(p); err == nil {
				out = append(out, up)
			}
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		for _, kv := range strings.Split(query, "&") {
			if k, v, _ := strings.Cut(kv, "="); strings.Contains(k, "password") {
				out = append(out, v)
				if uv, err := url.QueryUnescape(v); err == nil {
					out = append(out, uv)
				}
			}
		}
	}
	return out
}

// Secrets are the secret values of the configuration: masked in every log
// line and error text (internal/redact). A new secret setting belongs
// here; a test checks the fields named ...Token, ...Secret, ...Password or
// ...Key.
func (c Config) Secrets() []string {
	s := []string{c.TelegramToken, c.WebhookSecret, c.MattermostToken}
	if _, part, ok := strings.Cut(c.TelegramToken, ":"); ok {
		s = append(s, part) // the secret half: the bot id before it is public
	}
	if c.Keys != nil {
		// The key-encryption keys in every spelling they may be given in.
		for _, k := range c.Keys.KEKs() {
			_, b64, _ := strings.Cut(k.Line(), " ")
			if raw, err := base64.StdEncoding.DecodeString(b64); err == nil {
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
					s = append(s, enc.EncodeToString(raw))
				}
				s = append(s, hex.EncodeToString(raw))
			}
		}
	}
	return append(s, redisSecrets(c.RedisURL)...)
}

// RedisClientOptions are the client options of the configured Redis: the
// URL, the CA file for TLS and the pool size.
func (c Config) RedisClientOptions() (*redis.UniversalOptions, error) {
	o, err := RedisOptions(c.RedisURL)
	if err != nil {
		return nil, err
	}
	if c.RedisCAFile != "" {
		if o.TLSConfig == nil {
			return nil, errors.New("WAAKVLAM_REDIS_CA_FILE is set but WAAKVLAM_REDIS_URL does not use TLS (rediss://, rediss+sentinel://, rediss+cluster://)")
		}
		if o.TLSConfig.RootCAs, err = loadCAs(c.RedisCAFile); err != nil {
			return nil, err
		}
	}
	if o.TLSConfig != nil && o.TLSConfig.MinVersion < tls.VersionTLS12 {
		o.TLSConfig.MinVersion = tls.VersionTLS12
	}
	o.PoolSize = 80 // a blocking reader per partition and lane, plus headroom
	return o, nil
}

// Redis connects to the configured Redis.
func (c Config) Redis() (redis.UniversalClient, error) {
	o, err := c.RedisClientOptions()
	if err != nil {
		return nil, err
	}
	return redis.NewUniversalClient(o), nil
}

// NewRedis connects with the options of a Redis URL, trusting the system's
// CAs for TLS. Prefer Config.Redis, which also uses WAAKVLAM_REDIS_CA_FILE.
func NewRedis(raw string) (redis.UniversalClient, error) {
	return Config{RedisURL: raw}.Redis()
}

func loadCAs(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no PEM certificate in %s", file)
	}
	return pool, nil
}

func checkCAFile(file, rawURL string) error {
	if _, err := loadCAs(file); err != nil {
		return err
	}
	if o, err := RedisOptions(rawURL); err == nil && o.TLSConfig == nil {
		return errors.New("set, but WAAKVLAM_REDIS_URL does not use TLS (rediss://, rediss+sentinel://, rediss+cluster://)")
	}
	return nil
}
