package filestore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func newDisk(t *testing.T) (*Disk, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "uploads")
	d, err := NewDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

// entries lists the directory so tests can prove nothing, including temp
// files, was left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestNewDiskCreatesPrivateDir(t *testing.T) {
	_, dir := newDisk(t)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode = %o, want 700", fi.Mode().Perm())
	}
	if _, err := NewDisk(""); err == nil {
		t.Fatal("NewDisk(\"\") succeeded")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDisk(file); err == nil {
		t.Fatal("NewDisk on a regular file succeeded")
	}
}

func TestRoundTrip(t *testing.T) {
	d, dir := newDisk(t)
	ctx := context.Background()
	body := []byte("hello, world")

	n, err := d.Put(ctx, "abc_123-x", bytes.NewReader(body), int64(len(body)))
	if err != nil || n != int64(len(body)) {
		t.Fatalf("Put = %d, %v", n, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "abc_123-x"))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode = %o, want 600", fi.Mode().Perm())
	}

	rc, size, err := d.Open(ctx, "abc_123-x")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(rc)
	rc.Close()
	if size != int64(len(body)) || !bytes.Equal(got, body) || string(rest) != "world" {
		t.Fatalf("Open = %q (%d), after seek %q", got, size, rest)
	}

	// Put replaces; the old content is gone.
	if _, err := d.Put(ctx, "abc_123-x", strings.NewReader("v2"), 10); err != nil {
		t.Fatal(err)
	}
	rc, size, err = d.Open(ctx, "abc_123-x")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if string(got) != "v2" || size != 2 {
		t.Fatalf("after replace = %q (%d)", got, size)
	}

	if err := d.Delete(ctx, "abc_123-x"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Open(ctx, "abc_123-x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open after Delete: %v, want ErrNotFound", err)
	}
	if err := d.Delete(ctx, "abc_123-x"); err != nil {
		t.Fatalf("second Delete: %v, want nil", err)
	}
	if _, _, err := d.Open(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open missing: %v", err)
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}
}

func TestPutExactLimitAndEmpty(t *testing.T) {
	d, _ := newDisk(t)
	ctx := context.Background()
	if n, err := d.Put(ctx, "exact", strings.NewReader("12345"), 5); err != nil || n != 5 {
		t.Fatalf("Put at limit = %d, %v", n, err)
	}
	if n, err := d.Put(ctx, "empty", strings.NewReader(""), 0); err != nil || n != 0 {
		t.Fatalf("Put empty = %d, %v", n, err)
	}
	if _, err := d.Put(ctx, "neg", strings.NewReader(""), -1); err == nil {
		t.Fatal("negative limit accepted")
	}
}

func TestPutTooLargeLeavesNothing(t *testing.T) {
	d, dir := newDisk(t)
	ctx := context.Background()
	_, err := d.Put(ctx, "big", strings.NewReader("123456"), 5)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put over limit: %v, want ErrTooLarge", err)
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}

	// A refused replacement keeps the previous file intact: the write is
	// atomic, not truncate-then-fail.
	if _, err := d.Put(ctx, "keep", strings.NewReader("old"), 5); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "keep", strings.NewReader("far too long"), 5); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	rc, _, err := d.Open(ctx, "keep")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "old" {
		t.Fatalf("previous content = %q, want old", got)
	}
	if es := entries(t, dir); len(es) != 1 || es[0] != "keep" {
		t.Fatalf("entries = %v, want [keep]", es)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "chunk"), nil
	}
	return 0, errors.New("connection reset")
}

func TestPutReadErrorLeavesNothing(t *testing.T) {
	d, dir := newDisk(t)
	_, err := d.Put(context.Background(), "broken", &failingReader{n: 3}, 1<<20)
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Put = %v", err)
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}
}

func TestPutCancelledLeavesNothing(t *testing.T) {
	d, dir := newDisk(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel part-way through, as when the visitor closes the tab.
	r := io.MultiReader(strings.NewReader("first part"), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, "more"), nil
	}), strings.NewReader("never read"))
	_, err := d.Put(ctx, "cancelled", r, 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}
	if _, err := d.Put(ctx, "x", strings.NewReader("a"), 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with done ctx = %v", err)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestBadKeysRefused(t *testing.T) {
	d, dir := newDisk(t)
	ctx := context.Background()
	// Something a traversal would hit if keys were not checked.
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "x"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		"../x", "a/b", `a\b`, ".", "..", "", strings.Repeat("a", 101),
		"héllo", "日本", "ABC", "a.b", "a b", "a\x00b", "/etc/passwd", ".upload-123",
	}
	for _, k := range bad {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
		if _, err := d.Put(ctx, k, strings.NewReader("x"), 10); !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", k, err)
		}
		if _, _, err := d.Open(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Open(%q) = %v, want ErrBadKey", k, err)
		}
		if err := d.Delete(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", k, err)
		}
	}
	if es := entries(t, dir); len(es) != 0 {
		t.Fatalf("left behind: %v", es)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); err != nil {
		t.Fatalf("file outside the store was touched: %v", err)
	}
	for _, k := range []string{"a", "0", "_", "-", strings.Repeat("z", 100), "0f8fad5b-d9cb-469f-a165-70867728950e"} {
		if !ValidKey(k) {
			t.Errorf("ValidKey(%q) = false", k)
		}
	}
}

func TestOpenRefusesNonRegular(t *testing.T) {
	d, dir := newDisk(t)
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Open(context.Background(), "adir"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(dir) = %v, want ErrNotFound", err)
	}
}
