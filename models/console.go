package models

import "time"

// ConsoleSessionTTL is how long a console sign-in lasts: a working day, so
// a forgotten tab does not keep an org's administration open overnight.
const ConsoleSessionTTL = 8 * time.Hour

// ConsoleSession is a signed-in operator of the web console. The browser
// holds a random token in an HttpOnly cookie; only its SHA-256 is stored,
// so a database read does not yield a usable session. The org's secret key
// that signed in is never kept, by the browser or here.
type ConsoleSession struct {
	// TokenHash is the hex SHA-256 of the cookie's token.
	TokenHash string `gorm:"primaryKey;size:64"`
	OrgID     string `gorm:"size:40;not null;index"`
	// CSRFToken is sent back in every state-changing form; it is not a
	// credential on its own (it only works with the cookie).
	CSRFToken string    `gorm:"size:64;not null"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
}
