package config

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Distinctive secrets: a test fails if any of them shows up.
var secretEnv = map[string]string{
	"WAAKVLAM_TELEGRAM_TOKEN":   "424242:AAE-botTokenSecretHalf_0123456789",
	"WAAKVLAM_MATTERMOST_TOKEN": "mmTokenSecret0123456789abcd",
	"WAAKVLAM_WEBHOOK_SECRET":   "webhookSecret-0123456789",
	"WAAKVLAM_REDIS_URL":        "redis://waakvlam:redisPassw0rdSecret@127.0.0.1:6379/0",
	"WAAKVLAM_MATTERMOST_URL":   "https://chat.example.org",
	"WAAKVLAM_MATTERMOST_TEAM":  "team",
	"WAAKVLAM_STAFF_FILE":       "/etc/waakvlam/staff.yaml",
	"WAAKVLAM_TELEGRAM_MODE":    "webhook",
	"WAAKVLAM_WEBHOOK_URL":      "https://bot.example.org/hook",
	"WAAKVLAM_DATA_KEY":         "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=",
}

var secretWords = []string{"botTokenSecretHalf", "mmTokenSecret", "webhookSecret-", "redisPassw0rdSecret", "q83vEjRWeJASNFZ4"}

func hasSecret(s string) string {
	for _, w := range secretWords {
		if strings.Contains(s, w) {
			return w
		}
	}
	return ""
}

// captureStderr runs f and returns what it wrote to os.Stderr (the flag
// package prints usage there).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	f()
	os.Stderr = old
	w.Close()
	return <-done
}

// A mistyped flag prints the usage with the flags' defaults: those are the
// built-in defaults, never the environment's values.
func TestUsageNeverShowsTheEnvironmentsSecrets(t *testing.T) {
	var err error
	out := captureStderr(t, func() {
		_, _, err = Load("serve", env(secretEnv), []string{"-telegram-tokn", "x"}, Need{Telegram: true, Redis: true})
	})
	if err == nil || !strings.Contains(out, "-telegram-token") || !strings.Contains(out, "WAAKVLAM_REDIS_URL") {
		t.Fatalf("no usage for a mistyped flag (err %v):\n%s", err, out)
	}
	if w := hasSecret(out + err.Error()); w != "" {
		t.Fatalf("usage shows %q:\n%s", w, out)
	}
	// -h too, and the usage printed later from the returned flag set.
	out = captureStderr(t, func() { _, _, err = Load("serve", env(secretEnv), []string{"-h"}, Need{Telegram: true, Redis: true}) })
	if !errors.Is(err, flagErrHelp) || hasSecret(out) != "" {
		t.Fatalf("-h: %v\n%s", err, out)
	}
	_, fs, err := Load("serve", env(secretEnv), nil, Need{Telegram: true, Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	fs.PrintDefaults()
	if w := hasSecret(buf.String()); w != "" {
		t.Fatalf("defaults show %q:\n%s", w, buf.String())
	}
	if !strings.Contains(buf.String(), `(default "127.0.0.1:8081")`) {
		t.Errorf("built-in defaults are not shown:\n%s", buf.String())
	}
}

// The environment still applies where no flag is given; a flag wins.
func TestEnvironmentAppliesUnlessAFlagIsGiven(t *testing.T) {
	c, _, err := Load("serve", env(secretEnv), []string{"-mattermost-team", "other"}, Need{Telegram: true, Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramToken != secretEnv["WAAKVLAM_TELEGRAM_TOKEN"] || c.MattermostTeam != "other" || c.Mode != "webhook" || c.AdminAddr != "127.0.0.1:8081" {
		t.Fatalf("got %+v", c)
	}
	c, _, err = Load("serve", env(map[string]string{"WAAKVLAM_ADMIN_ADDR": ":9100"}), []string{"-http-addr", ""}, Need{})
	if err != nil || c.AdminAddr != ":9100" || c.HTTPAddr != "" {
		t.Fatalf("admin %q http %q %v", c.AdminAddr, c.HTTPAddr, err)
	}
	if _, _, err := Load("serve", env(map[string]string{"WAAKVLAM_ADMIN_ADDR": ":8080"}), nil, Need{}); !namesVar(err, "WAAKVLAM_ADMIN_ADDR") {
		t.Fatalf("admin address on the public one: %v", err)
	}
}

func namesVar(err error, v string) bool {
	var ce *Error
	return errors.As(err, &ce) && ce.Var == v
}

// A malformed Redis URL is reported without any part of its password,
// however it is malformed.
func TestMalformedRedisURLNeverEchoesThePassword(t *testing.T) {
	const pw = "S3cretPassw0rd"
	for _, raw := range []string{
		"redis://user:" + pw + "@host:port/0",
		"redis://user:" + pw + "@host:6379/x",
		"redis://user:" + pw + "@host:6379/0?pool_size=" + pw,
		"redis://user:" + pw + "@host:6379/0?password=" + pw,
		"redis://user:" + pw + "%zz@host:6379/0",
		"redis://user:" + pw[:6] + "/" + pw[6:] + "@host:6379/0",
		"redis://user:" + pw[:6] + "?" + pw[6:] + "@host:6379/0",
		"redis://user:" + pw[:6] + "#" + pw[6:] + "@host:6379/0",
		"redis://user:" + pw + "@host:6379/0?skip_verify=true",
		"rediss://user:" + pw + "@host:6379/0?skip_verify=true",
		"redis+sentinel://user:" + pw + "@h1:26379,h2:x/master",
		"redis+sentinel://user:" + pw + "@h1:26379/master?sentinel_password=" + pw + "&x=1",
		"redis+sentinel://user:" + pw + "@h1:26379,h2:26379",
		"redis+sentinel://user:" + pw[:6] + "/" + pw[6:] + "@h1:26379/master",
		"redis+cluster://user:" + pw + "%z@h1:7000",
		"redis+cluster://user:" + pw + "@h1:7000/3",
		"redis+cluster://user:" + pw + "@",
		"redis+sentinel://h1:26379/master?sentinel_password=" + pw + "%zz",
		"rediss+clustr://user:" + pw + "@h1:7000",
		"user:" + pw + "@host:6379",
		pw + "://host",
	} {
		env := map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": token, "WAAKVLAM_REDIS_URL": raw}
		_, _, err := Load("x", func(k string) string { return env[k] }, nil, Need{Telegram: true, Redis: true})
		if !namesVar(err, "WAAKVLAM_REDIS_URL") {
			t.Errorf("%s: accepted or wrong variable: %v", raw, err)
			continue
		}
		for _, part := range []string{pw, pw[:6], pw[6:], "%zz"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("%s: error shows %q: %v", raw, part, err)
			}
		}
	}
}

func TestRedisURLsWithUsersTLSAndSentinelPasswords(t *testing.T) {
	o, err := RedisOptions("rediss+sentinel://app:p%40ss@h1:26379,h2/mymaster?sentinel_username=sen&sentinel_password=s%26pw")
	if err != nil {
		t.Fatal(err)
	}
	if o.Username != "app" || o.Password != "p@ss" || o.SentinelUsername != "sen" || o.SentinelPassword != "s&pw" ||
		o.MasterName != "mymaster" || o.TLSConfig == nil || o.TLSConfig.MinVersion == 0 || strings.Join(o.Addrs, ",") != "h1:26379,h2:26379" {
		t.Fatalf("sentinel: %+v", o)
	}
	o, err = RedisOptions("rediss+cluster://app:pw@[::1]:7000,n2:7001,n3")
	if err != nil || !o.IsClusterMode || o.Username != "app" || o.Password != "pw" || o.TLSConfig == nil ||
		strings.Join(o.Addrs, ",") != "[::1]:7000,n2:7001,n3:6379" {
		t.Fatalf("cluster: %+v %v", o, err)
	}
	o, err = RedisOptions("rediss://app:pw@localhost:6380/0")
	if err != nil || o.Username != "app" || o.TLSConfig == nil || o.TLSConfig.ServerName != "localhost" {
		t.Fatalf("single TLS: %+v %v", o, err)
	}
	o, err = RedisOptions("redis+cluster://n1:7000")
	if err != nil || o.TLSConfig != nil || o.Username != "" {
		t.Fatalf("plain cluster: %+v %v", o, err)
	}
	if _, err := RedisOptions("redis+cluster://n1:7000?sentinel_password=x"); err == nil {
		t.Fatal("sentinel password accepted for a cluster")
	}
}

// Every secret setting is masked in logs: a new field named like a secret
// must be returned by Secrets.
func TestSecretsListsEverySecretField(t *testing.T) {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	secretName := regexp.MustCompile(`(Token|Secret|Password|Key)$`)
	want := map[string]string{}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type.Kind() == reflect.String && secretName.MatchString(f.Name) {
			val := "value-of-" + f.Name + "-0123456789"
			if f.Name == "TelegramToken" {
				val = "123456:" + val
			}
			v.Field(i).SetString(val)
			want[f.Name] = val
		}
	}
	c.RedisURL = "redis+sentinel://u:redisPw-0123@h:26379/m?sentinel_password=sentinelPw-0123"
	const kek = "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng="
	loaded, _, err := Load("x", env(map[string]string{"WAAKVLAM_DATA_KEY": kek}), nil, Need{})
	if err != nil {
		t.Fatal(err)
	}
	c.Keys = loaded.Keys
	got := strings.Join(c.Secrets(), "\n")
	if !strings.Contains(got, kek) || !strings.Contains(got, strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(kek, "="))) {
		t.Errorf("Secrets lacks the key-encryption key")
	}
	for name, val := range want {
		if !strings.Contains(got, val) {
			t.Errorf("Secrets lacks %s", name)
		}
	}
	for _, pw := range []string{"redisPw-0123", "sentinelPw-0123", "value-of-TelegramToken-0123456789"} {
		if !strings.Contains(got, "\n"+pw+"\n") && !strings.HasSuffix(got, "\n"+pw) {
			t.Errorf("Secrets lacks %q:\n%s", pw, got)
		}
	}
}

func TestRedisCAFileIsChecked(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ url, file string }{
		{"rediss://h:6379/0", filepath.Join(dir, "missing.pem")},
		{"rediss://h:6379/0", notPEM},
	} {
		e := map[string]string{"WAAKVLAM_REDIS_URL": tt.url, "WAAKVLAM_REDIS_CA_FILE": tt.file}
		if _, _, err := Load("x", env(e), nil, Need{Redis: true}); !namesVar(err, "WAAKVLAM_REDIS_CA_FILE") {
			t.Errorf("%s %s: %v", tt.url, tt.file, err)
		}
	}
}

var flagErrHelp = flag.ErrHelp
