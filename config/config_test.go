package config

import (
	"errors"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"

func TestLoadNamesTheBadVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		need    Need
		wantVar string
	}{
		{"no token", map[string]string{"WAAKVLAM_REDIS_URL": "redis://x:6379"}, nil, Need{Telegram: true, Redis: true}, "WAAKVLAM_TELEGRAM_TOKEN"},
		{"bad token", map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": "abc"}, nil, Need{Telegram: true}, "WAAKVLAM_TELEGRAM_TOKEN"},
		{"no redis", map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": token}, nil, Need{Telegram: true, Redis: true}, "WAAKVLAM_REDIS_URL"},
		{"bad redis", map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": token, "WAAKVLAM_REDIS_URL": "mysql://x"}, nil, Need{Telegram: true, Redis: true}, "WAAKVLAM_REDIS_URL"},
		{"bad mode", map[string]string{"WAAKVLAM_TELEGRAM_MODE": "push"}, nil, Need{}, "WAAKVLAM_TELEGRAM_MODE"},
		{"webhook without url", map[string]string{"WAAKVLAM_TELEGRAM_MODE": "webhook"}, nil, Need{}, "WAAKVLAM_WEBHOOK_URL"},
		{"webhook http", map[string]string{"WAAKVLAM_TELEGRAM_MODE": "webhook", "WAAKVLAM_WEBHOOK_URL": "http://x/hook"}, nil, Need{}, "WAAKVLAM_WEBHOOK_URL"},
		{"short secret", map[string]string{"WAAKVLAM_TELEGRAM_MODE": "webhook", "WAAKVLAM_WEBHOOK_URL": "https://x/hook", "WAAKVLAM_WEBHOOK_SECRET": "short"}, nil, Need{}, "WAAKVLAM_WEBHOOK_SECRET"},
		{"bad tz", map[string]string{"WAAKVLAM_TIMEZONE": "Mars/Olympus"}, nil, Need{}, "WAAKVLAM_TIMEZONE"},
		{"bad ttl", map[string]string{"WAAKVLAM_INVITE_TTL": "two weeks"}, nil, Need{}, "WAAKVLAM_INVITE_TTL"},
		{"flag overrides env", map[string]string{"WAAKVLAM_TELEGRAM_MODE": "webhook"}, []string{"-telegram-mode", "nonsense"}, Need{}, "WAAKVLAM_TELEGRAM_MODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Load("x", env(tt.env), tt.args, tt.need)
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != tt.wantVar {
				t.Fatalf("err = %v, want one naming %s", err, tt.wantVar)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	c, _, err := Load("x", env(map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": token, "WAAKVLAM_REDIS_URL": "redis://localhost:6379/0"}), nil, Need{Telegram: true, Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != "polling" || c.TimeZone.String() != "Europe/Amsterdam" || c.InviteTTL.Hours() != 336 || c.HTTPAddr != ":8080" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestRedisOptionsTopologies(t *testing.T) {
	o, err := RedisOptions("redis+sentinel://:pw@h1:26379,h2:26379/mymaster")
	if err != nil || o.MasterName != "mymaster" || len(o.Addrs) != 2 || o.Password != "pw" {
		t.Fatalf("sentinel: %+v %v", o, err)
	}
	o, err = RedisOptions("redis+cluster://n1:7000,n2:7001")
	if err != nil || !o.IsClusterMode || len(o.Addrs) != 2 {
		t.Fatalf("cluster: %+v %v", o, err)
	}
	o, err = RedisOptions("redis://:secret@localhost:6380/2")
	if err != nil || o.Addrs[0] != "localhost:6380" || o.DB != 2 || o.Password != "secret" {
		t.Fatalf("single: %+v %v", o, err)
	}
	if _, err := RedisOptions("redis+sentinel://h1:26379"); err == nil {
		t.Fatal("sentinel without master accepted")
	}
}
