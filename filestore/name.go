package filestore

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds the cleaned name in bytes: enough for any real file name,
// small enough to keep headers, logs and database columns tidy.
const maxNameLen = 200

// maxKeptExt is the longest extension SafeName preserves when it has to
// shorten a name; longer "extensions" are just part of a long name.
const maxKeptExt = 16

// SafeName cleans a client-supplied file name for display and for
// Content-Disposition. The result is the base name only (both / and \ count
// as separators, since browsers on Windows may send full paths), with control
// and invisible formatting characters removed, at most 200 bytes of valid
// UTF-8, and "file" when nothing usable is left.
//
// It is for display only: files are stored under platform-generated keys,
// never under this name. Build the header with mime.FormatMediaType, which
// quotes or RFC 2231-encodes the name as needed.
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		// Cc: NUL, CR/LF (header and log injection), DEL, C1 controls.
		// Cf: bidi overrides and zero-width characters, which can disguise
		// "invoice<U+202E>fdp.exe" as "invoiceexe.pdf" when displayed.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = trimName(name)
	if len(name) > maxNameLen {
		name = shorten(name)
	}
	if name == "" || strings.Trim(name, ".") == "" {
		// "", "." and ".." are not names; and a name of only dots would be
		// read as a path component by anything that joins it onto a path.
		return "file"
	}
	return name
}

// trimName drops surrounding spaces, and trailing dots which Windows strips
// silently (so "a.exe." would save as "a.exe").
func trimName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ". ")
	return s
}

// shorten cuts name to maxNameLen bytes on a rune boundary, keeping a short
// extension so the visitor can still tell what kind of file it was.
func shorten(name string) string {
	ext := path.Ext(name)
	if len(ext) <= 1 || len(ext) > maxKeptExt {
		ext = ""
	}
	stem := truncateUTF8(name[:len(name)-len(ext)], maxNameLen-len(ext))
	return trimName(stem) + ext
}

// truncateUTF8 returns at most n bytes of s without splitting a rune.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
