package blob

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"examhall"
)

// testStores runs fn against a Disk store and an S3 store over a fake S3
// server.
func testStores(t *testing.T, fn func(t *testing.T, s examhall.BlobStore)) {
	t.Run("disk", func(t *testing.T) {
		d, err := NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d)
	})
	t.Run("s3", func(t *testing.T) {
		fake := newFakeS3(t, "examhall-test", "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1")
		fn(t, fake.mustStore(t, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"))
		if fake.signed == 0 {
			t.Error("the fake S3 server checked no signature")
		}
	})
}

func TestBlobStore(t *testing.T) {
	testStores(t, func(t *testing.T, s examhall.BlobStore) {
		ctx := context.Background()
		data := bytes.Repeat([]byte("jpeg"), 5000)
		if err := s.Put(ctx, "snapshots/e1/a1/s1.jpg", bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, "snapshots/e1/a1/s1.jpg")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("read back %d bytes, %v; want %d", len(got), err, len(data))
		}
		if _, err := s.Open(ctx, "snapshots/none.jpg"); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("open missing: %v, want not_found", err)
		}
		if err := s.Delete(ctx, "snapshots/e1/a1/s1.jpg"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, "snapshots/e1/a1/s1.jpg"); examhall.ErrorCode(err) != examhall.ENOTFOUND {
			t.Errorf("open deleted: %v, want not_found", err)
		}
		if err := s.Delete(ctx, "snapshots/e1/a1/s1.jpg"); err != nil {
			t.Errorf("delete again: %v", err)
		}
		for _, key := range []string{"", "../x", "a//b", "/abs", "a/./b", "A.jpg", "a b", "a\\b"} {
			if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg"); examhall.ErrorCode(err) != examhall.EINVALID {
				t.Errorf("put %q: %v, want invalid", key, err)
			}
		}
	})
}

func TestDiskShortPut(t *testing.T) {
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.Put(ctx, "a.jpg", strings.NewReader("abc"), 10, "image/jpeg"); err == nil {
		t.Fatal("a short body was stored")
	}
	if _, err := d.Open(ctx, "a.jpg"); examhall.ErrorCode(err) != examhall.ENOTFOUND {
		t.Errorf("after a failed put: %v, want not_found", err)
	}
}

func TestS3WrongSecret(t *testing.T) {
	fake := newFakeS3(t, "examhall-test", "AKIDEXAMPLE", "the-right-secret", "us-east-1")
	s := fake.mustStore(t, "a-wrong-secret")
	err := s.Put(context.Background(), "a.jpg", strings.NewReader("abc"), 3, "image/jpeg")
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("put with a wrong secret: %v, want SignatureDoesNotMatch", err)
	}
	if len(fake.objects) != 0 {
		t.Error("the fake stored an object of a badly signed request")
	}
}

func TestS3ConfigValidate(t *testing.T) {
	ok := S3Config{Endpoint: "minio:9000", Bucket: "b", AccessKey: "a", SecretKey: "s"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for name, c := range map[string]S3Config{
		"no secret":  {Endpoint: "minio:9000", Bucket: "b", AccessKey: "a"},
		"no bucket":  {Endpoint: "minio:9000", AccessKey: "a", SecretKey: "s"},
		"url scheme": {Endpoint: "https://minio:9000", Bucket: "b", AccessKey: "a", SecretKey: "s"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// fakeS3 is a one-bucket S3 server that refuses any request not signed
// with AWS Signature Version 4 by its key, including each chunk of a
// streaming upload.
type fakeS3 struct {
	t                              *testing.T
	srv                            *httptest.Server
	bucket, access, secret, region string

	mu      sync.Mutex
	objects map[string][]byte
	signed  int
}

func newFakeS3(t *testing.T, bucket, access, secret, region string) *fakeS3 {
	f := &fakeS3{t: t, bucket: bucket, access: access, secret: secret, region: region, objects: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) mustStore(t *testing.T, secret string) *S3 {
	t.Helper()
	s, err := NewS3(S3Config{Endpoint: strings.TrimPrefix(f.srv.URL, "http://"), Bucket: f.bucket,
		AccessKey: f.access, SecretKey: secret, Region: f.region}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	seed, ok := f.verify(r)
	if !ok {
		s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch")
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/"+f.bucket+"/")
	if !ok {
		s3Error(w, http.StatusNotFound, "NoSuchBucket")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signed++
	switch r.Method {
	case http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			s3Error(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		if r.Header.Get("X-Amz-Content-Sha256") == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
			if body, ok = f.decodeChunks(r, seed, body); !ok {
				s3Error(w, http.StatusForbidden, "SignatureDoesNotMatch")
				return
			}
		} else if h := sha256.Sum256(body); r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(h[:]) {
			s3Error(w, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
			return
		}
		f.objects[key] = body
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
	case http.MethodGet, http.MethodHead:
		body, ok := f.objects[key]
		if !ok {
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			s3Error(w, http.StatusNotFound, "NoSuchKey")
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	case http.MethodDelete:
		delete(f.objects, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed")
	}
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// verify recomputes the request's SigV4 signature with the fake's secret;
// it returns the signature (the seed of a streaming upload's chunks).
func (f *fakeS3) verify(r *http.Request) (string, bool) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		f.t.Errorf("%s %s: not SigV4-signed: %q", r.Method, r.URL, r.Header.Get("Authorization"))
		return "", false
	}
	fields := map[string]string{}
	for _, p := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		fields[k] = v
	}
	date := r.Header.Get("X-Amz-Date")
	if len(date) < 8 {
		return "", false
	}
	scope := date[:8] + "/" + f.region + "/s3/aws4_request"
	if fields["Credential"] != f.access+"/"+scope {
		f.t.Errorf("credential %q, want %q", fields["Credential"], f.access+"/"+scope)
		return "", false
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return "", false
	}
	var canon strings.Builder
	canon.WriteString(r.Method + "\n" + r.URL.EscapedPath() + "\n" + canonicalQuery(r) + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canon.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	canon.WriteString("\n" + fields["SignedHeaders"] + "\n" + r.Header.Get("X-Amz-Content-Sha256"))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + sha256Hex([]byte(canon.String()))
	want := hex.EncodeToString(hmacSHA256(f.signingKey(date[:8]), toSign))
	return want, hmac.Equal([]byte(want), []byte(fields["Signature"]))
}

func canonicalQuery(r *http.Request) string {
	q := r.URL.Query()
	var parts []string
	for k, vs := range q {
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "&")
}

func awsEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func (f *fakeS3) signingKey(day string) []byte {
	k := hmacSHA256([]byte("AWS4"+f.secret), day)
	k = hmacSHA256(k, f.region)
	k = hmacSHA256(k, "s3")
	return hmacSHA256(k, "aws4_request")
}

// decodeChunks reads an aws-chunked body, checking each chunk's signature
// against the chain that starts at the request's signature.
func (f *fakeS3) decodeChunks(r *http.Request, seed string, body []byte) ([]byte, bool) {
	date := r.Header.Get("X-Amz-Date")
	scope := date[:8] + "/" + f.region + "/s3/aws4_request"
	key := f.signingKey(date[:8])
	br := bufio.NewReader(bytes.NewReader(body))
	var out []byte
	prev := seed
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, false
		}
		sizeHex, sig, ok := strings.Cut(strings.TrimSpace(line), ";chunk-signature=")
		if !ok {
			return nil, false
		}
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil {
			return nil, false
		}
		chunk := make([]byte, n+2)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, false
		}
		chunk = chunk[:n]
		toSign := "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + prev + "\n" + sha256Hex(nil) + "\n" + sha256Hex(chunk)
		want := hex.EncodeToString(hmacSHA256(key, toSign))
		if !hmac.Equal([]byte(want), []byte(sig)) {
			return nil, false
		}
		prev = sig
		if n == 0 {
			return out, true
		}
		out = append(out, chunk...)
	}
}
