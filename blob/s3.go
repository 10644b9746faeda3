package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"examhall"
)

// S3Config names an S3-compatible bucket and the credentials for it. The
// keys come from the environment only (EXAMHALL_BLOB_S3_ACCESS_KEY,
// EXAMHALL_BLOB_S3_SECRET_KEY) and have no defaults.
type S3Config struct {
	Endpoint  string // host[:port], e.g. s3.amazonaws.com or minio.local:9000
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // e.g. us-east-1; empty asks the server
	Secure    bool   // HTTPS
	Prefix    string // prepended to every key, e.g. "examhall/"
}

// Configured reports whether an S3 store is asked for at all.
func (c S3Config) Configured() bool {
	return c.Endpoint != "" || c.Bucket != ""
}

// Validate checks that a configured store has everything it needs.
func (c S3Config) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"EXAMHALL_BLOB_S3_ENDPOINT", c.Endpoint}, {"EXAMHALL_BLOB_S3_BUCKET", c.Bucket},
		{"EXAMHALL_BLOB_S3_ACCESS_KEY", c.AccessKey}, {"EXAMHALL_BLOB_S3_SECRET_KEY", c.SecretKey},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("S3 blob store: missing %s", strings.Join(missing, ", "))
	}
	if strings.Contains(c.Endpoint, "/") {
		return fmt.Errorf("S3 blob store: EXAMHALL_BLOB_S3_ENDPOINT is host[:port] without a scheme or path (use EXAMHALL_BLOB_S3_SECURE for HTTPS)")
	}
	return nil
}

// S3 keeps blobs as objects of one bucket, through minio-go (AWS
// Signature Version 4).
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ examhall.BlobStore = (*S3)(nil)

// NewS3 returns a store over the configured bucket; it does not contact the
// server. transport may be nil for http.DefaultTransport.
func NewS3(c S3Config, transport http.RoundTripper) (*S3, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure:       c.Secure,
		Region:       c.Region,
		BucketLookup: minio.BucketLookupPath,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 blob store: %w", err)
	}
	return &S3{client: client, bucket: c.Bucket, prefix: c.Prefix}, nil
}

func (s *S3) object(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put uploads the blob in one request.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	_, err = s.client.PutObject(ctx, s.bucket, obj, r, size, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return fmt.Errorf("blob put %s: %w", key, err)
	}
	return nil
}

// Open returns the object's content; ENOTFOUND when there is none. It
// asks for the object at once, so a missing one is known before reading.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.object(key)
	if err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.bucket, obj, minio.GetObjectOptions{})
	if err == nil {
		_, err = o.Stat()
	}
	if err != nil {
		if o != nil {
			o.Close()
		}
		if isNotFound(err) {
			return nil, examhall.Errorf(examhall.ENOTFOUND, "blob %q not found", key)
		}
		return nil, fmt.Errorf("blob open %s: %w", key, err)
	}
	return o, nil
}

// Delete removes the object; S3 answers a missing one with success too.
func (s *S3) Delete(ctx context.Context, key string) error {
	obj, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("blob delete %s: %w", key, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return er.Code == "NoSuchKey" || er.StatusCode == http.StatusNotFound
	}
	return minio.ToErrorResponse(err).Code == "NoSuchKey"
}
