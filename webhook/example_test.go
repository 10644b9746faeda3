package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"examhall/webhook"
)

// verify is the check docs/webhooks.md shows receivers, using only the
// standard library: the signature over timestamp + "." + body, compared in
// constant time, and a timestamp at most five minutes away.
func verify(secret string, r *http.Request, body []byte) error {
	ts := r.Header.Get("Examhall-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp")
	}
	if d := time.Since(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp too far from now")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := "v1=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("Examhall-Signature"))) {
		return fmt.Errorf("bad signature")
	}
	return nil
}

// Example_receiver is a receiver verifying a request signed as the sender
// signs it.
func Example_receiver() {
	const secret = "whsec_example_0123456789"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || verify(secret, r, body) != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		var e struct {
			ID   string          `json:"id"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		// Deliveries are at least once: skip an e.ID seen before.
		fmt.Println(e.Type, string(e.Data))
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"id":"ev1","type":"attempt.submitted","time":"2026-06-01T08:00:00Z","data":{"attemptId":"a1","reason":"deadline"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
	r.Header.Set(webhook.HeaderTimestamp, ts)
	r.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, []byte(body)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// attempt.submitted {"attemptId":"a1","reason":"deadline"}
	// 204
}
