package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/config"
)

// runSecrets is `switchboard secrets reseal [-batch N]`.
func runSecrets(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "reseal" {
		return errors.New("usage: switchboard secrets reseal [-batch N]")
	}
	fset := flag.NewFlagSet("secrets reseal", flag.ContinueOnError)
	batch := fset.Int("batch", 500, "rows read and re-encrypted per batch")
	fset.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: switchboard secrets reseal [-batch N]\n\n"+
			"Re-encrypts signing secrets stored in clear text or under a key listed in\n"+
			"SWITCHBOARD_SECRET_KEYS_OLD with SWITCHBOARD_SECRET_KEY. Safe to run again.")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args[1:]); err != nil {
		return err
	}
	if *batch < 1 {
		return errors.New("-batch must be positive")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	counts, kid, err := app.Reseal(ctx, cfg, *batch)
	for _, c := range counts {
		fmt.Fprintf(stdout, "%s: %d resealed, %d already under key %s\n", c.Table, c.Resealed, c.Checked-c.Resealed, kid)
	}
	return err
}

// devKeyFile keeps dev's secret key between runs, beside the SQLite file.
var devKeyFile = filepath.Join(".data", "secret.key")

// devSecretKey returns the key in path, creating it (0600) on first run,
// so that dev seals secrets like production and later runs still open
// them. created reports a new key.
func devSecretKey(path string) (key string, created bool, err error) {
	if b, err := os.ReadFile(path); err == nil {
		key = strings.TrimSpace(string(b))
		if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 32 {
			return "", false, fmt.Errorf("%s must hold the Base64 of 32 bytes; delete it only if no secret was sealed with it", path)
		}
		return key, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", false, err
	}
	key = app.NewSecretKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		_ = f.Close()
		return "", false, err
	}
	return key, true, f.Close()
}
