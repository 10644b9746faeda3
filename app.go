package examhall

import (
	"context"
	"time"
)

// App is a set of open-API credentials: an appid and a secret, of which only
// a hash is stored.
type App struct {
	ID         string    `json:"appid"`
	Name       string    `json:"name"`
	SecretHash string    `json:"-"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"createdAt"`
}

// AppService stores open-API credentials.
type AppService interface {
	// CreateApp sets a.ID (when empty) and a.CreatedAt.
	CreateApp(ctx context.Context, a *App) error
	// FindAppByID returns ENOTFOUND when there is none.
	FindAppByID(ctx context.Context, id string) (*App, error)
	// FindApps returns all apps, newest first.
	FindApps(ctx context.Context) ([]*App, error)
	// DisableApp stops an app's secret from issuing tokens; ENOTFOUND.
	DisableApp(ctx context.Context, id string) error
}
