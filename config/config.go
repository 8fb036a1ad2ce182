// Package config owns Waakvlam's settings: environment variables, which
// flags may override, checked at start so that a wrong setting stops the
// process with one clear line naming the variable.
package config

import (
	"crypto/tls"
	"flag"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is the checked configuration.
type Config struct {
	TelegramToken   string
	TelegramAPIURL  string
	Mode            string // polling or webhook
	WebhookURL      string
	WebhookSecret   string
	RedisURL        string
	HTTPAddr        string
	TimeZone        *time.Location
	InviteTTL       time.Duration
	BotUsername     string
	LogLevel        string
	MattermostURL   string
	MattermostToken string
	MattermostTeam  string
	StaffFile       string
	CommandURL      string
	ProgrammeFile   string
	// Telegram's send limits, shared by all replicas through Redis:
	// messages per second for the whole bot and per chat (0: no limit),
	// and how many may go at once.
	RateGlobal      float64
	RateGlobalBurst int
	RateChat        float64
	RateChatBurst   int
}

// Error names the variable that is missing or wrong.
type Error struct{ Var, Problem string }

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Need says which settings a command cannot run without.
type Need struct {
	Telegram bool // a token
	Redis    bool
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
		mmURL, mmToken, mmTeam, staffFile, cmdURL, progFile                  string
		rateGlobal, rateGlobalBurst, rateChat, rateChatBurst                 string
	}
	settings := []setting{
		{"WAAKVLAM_TELEGRAM_TOKEN", "telegram-token", "", "Telegram bot token", &raw.token},
		{"WAAKVLAM_TELEGRAM_API_URL", "telegram-api-url", "https://api.telegram.org", "Bot API server", &raw.api},
		{"WAAKVLAM_TELEGRAM_MODE", "telegram-mode", "polling", "polling or webhook", &raw.mode},
		{"WAAKVLAM_WEBHOOK_URL", "webhook-url", "", "public https URL of the webhook", &raw.hook},
		{"WAAKVLAM_WEBHOOK_SECRET", "webhook-secret", "", "secret token Telegram sends with each webhook call", &raw.secret},
		{"WAAKVLAM_REDIS_URL", "redis-url", "", "redis://, rediss://, redis+sentinel:// or redis+cluster:// URL", &raw.redisURL},
		{"WAAKVLAM_HTTP_ADDR", "http-addr", ":8080", "address of /healthz, /readyz, /metrics and the webhook", &raw.addr},
		{"WAAKVLAM_TIMEZONE", "timezone", "Europe/Amsterdam", "time zone of schedules and quiet hours", &raw.tz},
		{"WAAKVLAM_INVITE_TTL", "invite-ttl", "336h", "how long an invite code works", &raw.ttl},
		{"WAAKVLAM_BOT_USERNAME", "bot-username", "", "bot username for invite links (asked from Telegram when empty)", &raw.user},
		{"WAAKVLAM_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", &raw.level},
		{"WAAKVLAM_MATTERMOST_URL", "mattermost-url", "", "Mattermost server of the coaches (empty: no coach bridge)", &raw.mmURL},
		{"WAAKVLAM_MATTERMOST_TOKEN", "mattermost-token", "", "access token of the Mattermost bot account", &raw.mmToken},
		{"WAAKVLAM_MATTERMOST_TEAM", "mattermost-team", "", "Mattermost team (name) of the client channels", &raw.mmTeam},
		{"WAAKVLAM_STAFF_FILE", "staff-file", "", "YAML file with coaches, project leaders and the on-call contact", &raw.staffFile},
		{"WAAKVLAM_PROGRAMME_FILE", "programme-file", "", "YAML file with quiet hours, levels, groups, snooze and grace times (see programme/example.yaml)", &raw.progFile},
		{"WAAKVLAM_RATE_GLOBAL", "rate-global", "30", "messages per second to Telegram for the whole bot, over all replicas (0: no limit)", &raw.rateGlobal},
		{"WAAKVLAM_RATE_GLOBAL_BURST", "rate-global-burst", "10", "messages that may go to Telegram at once (urgent replies may use all of it, bulk 2)", &raw.rateGlobalBurst},
		{"WAAKVLAM_RATE_CHAT", "rate-chat", "1", "messages per second to one chat (0: no limit)", &raw.rateChat},
		{"WAAKVLAM_RATE_CHAT_BURST", "rate-chat-burst", "3", "messages that may go to one chat at once", &raw.rateChatBurst},
		{"WAAKVLAM_MATTERMOST_COMMAND_URL", "mattermost-command-url", "", "public URL of /mattermost/command for the /waakvlam slash command (empty: direct messages only)", &raw.cmdURL},
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	byFlag := map[string]string{}
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			v = s.def
		}
		fs.StringVar(s.dst, s.flag, v, s.help+" ("+s.env+")")
		byFlag[s.flag] = s.env
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fs, err
	}
	c := Config{TelegramToken: strings.TrimSpace(raw.token), TelegramAPIURL: strings.TrimRight(raw.api, "/"), Mode: raw.mode,
		WebhookURL: raw.hook, WebhookSecret: raw.secret, RedisURL: raw.redisURL, HTTPAddr: raw.addr,
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
// configuration: redis:// or rediss:// for one server,
// redis+sentinel://[:password@]host:port[,host:port]/master-name for
// Sentinel, redis+cluster://[:password@]host:port[,host:port] for Cluster.
func RedisOptions(raw string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("%q is not a URL", redact(raw))
	}
	switch scheme {
	case "redis", "rediss":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("cannot read URL: %v", err)
		}
		return &redis.UniversalOptions{Addrs: []string{o.Addr}, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig}, nil
	case "redis+sentinel", "redis+cluster":
		var password string
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			_, password, _ = strings.Cut(rest[:at], ":")
			rest = rest[at+1:]
		}
		hosts, path, _ := strings.Cut(rest, "/")
		addrs := strings.Split(hosts, ",")
		if hosts == "" {
			return nil, fmt.Errorf("no hosts in URL")
		}
		o := &redis.UniversalOptions{Addrs: addrs, Password: password}
		if scheme == "redis+sentinel" {
			if path == "" {
				return nil, fmt.Errorf("sentinel URL needs the master name as path")
			}
			o.MasterName = path
		} else {
			o.IsClusterMode = true
		}
		return o, nil
	}
	return nil, fmt.Errorf("scheme %q: use redis, rediss, redis+sentinel or redis+cluster", scheme)
}

// NewRedis connects with the options of a Redis URL.
func NewRedis(raw string) (redis.UniversalClient, error) {
	o, err := RedisOptions(raw)
	if err != nil {
		return nil, err
	}
	o.PoolSize = 80 // a blocking reader per partition and lane, plus headroom
	if o.TLSConfig != nil && o.TLSConfig.MinVersion == 0 {
		o.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return redis.NewUniversalClient(o), nil
}

func redact(s string) string {
	if at := strings.LastIndex(s, "@"); at >= 0 {
		return "***" + s[at:]
	}
	return s
}
