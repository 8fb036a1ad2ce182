package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serve prints no secret, in its logs or its last line, whether Redis is
// unreachable, its URL is malformed, or Telegram's errors repeat the URL
// with the token.
func TestServeNeverPrintsASecret(t *testing.T) {
	const (
		tgToken = "777222:AAF-serveTokenSecretHalf_0123456"
		redisPw = "serveRedisSecret-0123"
	)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "bad gateway for %s", r.URL.Path)
	}))
	defer proxy.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	for _, redisURL := range []string{
		"redis://waakvlam:" + redisPw + "@" + closed + "/0",                                    // unreachable
		"redis://waakvlam:" + redisPw + "@127.0.0.1:port/0",                                    // malformed
		"redis+sentinel://waakvlam:" + redisPw + "@127.0.0.1:x/m?sentinel_password=" + redisPw, // malformed
	} {
		env := map[string]string{"WAAKVLAM_TELEGRAM_TOKEN": tgToken, "WAAKVLAM_TELEGRAM_API_URL": proxy.URL,
			"WAAKVLAM_REDIS_URL": redisURL, "WAAKVLAM_DATA_KEY": testKey}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var out, errb bytes.Buffer
		start := time.Now()
		code := run(ctx, []string{"serve", "-http-addr", "", "-admin-addr", ""}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
		cancel()
		all := out.String() + errb.String()
		t.Logf("%s: exit %d after %v", redisURL, code, time.Since(start).Round(time.Millisecond))
		if all == "" {
			t.Errorf("%s: exit %d with nothing said", redisURL, code)
		}
		for _, s := range []string{tgToken, "serveTokenSecretHalf", redisPw} {
			if strings.Contains(all, s) {
				t.Errorf("%s: %q printed:\n%s", redisURL, s, all)
			}
		}
	}
}
