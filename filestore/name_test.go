package filestore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\me\Desktop\photo.jpg`, "photo.jpg"},
		{"/abs/path/", "file"},
		{"a/b\\c.txt", "c.txt"},
		{"", "file"},
		{".", "file"},
		{"..", "file"},
		{"...", "file"},
		{"   ", "file"},
		{"\x00\x01\x7f", "file"},
		{"evil\r\nSet-Cookie: x=1.txt", "evilSet-Cookie: x=1.txt"},
		{"tab\there.txt", "tabhere.txt"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"},
		{"zero\u200bwidth.png", "zerowidth.png"},
		{"a.exe. . ", "a.exe"},
		{"  spaced name.txt  ", "spaced name.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"Grüße 日本.txt", "Grüße 日本.txt"},
		{".bashrc", ".bashrc"},
		{`say "hi".txt`, `say "hi".txt`},
	}
	for _, c := range cases {
		if got := SafeName(c.in); got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSafeNameLength(t *testing.T) {
	check := func(in string) string {
		t.Helper()
		got := SafeName(in)
		if len(got) > 200 || !utf8.ValidString(got) || got == "" {
			t.Fatalf("SafeName(%d bytes) = %q (%d bytes)", len(in), got, len(got))
		}
		return got
	}
	// Long ASCII keeps its extension.
	got := check(strings.Repeat("a", 500) + ".pdf")
	if len(got) != 200 || !strings.HasSuffix(got, ".pdf") {
		t.Fatalf("got %q", got)
	}
	// Multi-byte runes are never split, whatever the cut point.
	for pad := 0; pad < 4; pad++ {
		check(strings.Repeat("x", pad) + strings.Repeat("日", 100) + ".jpg")
		check(strings.Repeat("x", pad) + strings.Repeat("😀", 100))
	}
	// A long "extension" is not preserved specially.
	got = check("name." + strings.Repeat("e", 300))
	if !strings.HasPrefix(got, "name.") {
		t.Fatalf("got %q", got)
	}
	// Exactly at the limit is untouched.
	exact := strings.Repeat("b", 196) + ".txt"
	if got := check(exact); got != exact {
		t.Fatalf("got %q", got)
	}
}
