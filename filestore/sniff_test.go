package filestore

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// Real, minimal file headers, built by hand so the test needs no fixtures.

func pngHeader() []byte {
	var b bytes.Buffer
	b.Write([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
	chunk(&b, "IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0})
	chunk(&b, "IDAT", []byte{0x78, 0x9c, 0x62, 0, 0, 0, 0, 0xff, 0xff})
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// chunk writes a PNG chunk; the CRC is left zero because sniffing never
// checks it.
func chunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	b.Write([]byte{0, 0, 0, 0})
}

func apngHeader() []byte {
	var b bytes.Buffer
	b.Write([]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'})
	chunk(&b, "IHDR", []byte{0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0})
	chunk(&b, "acTL", []byte{0, 0, 0, 2, 0, 0, 0, 0})
	return b.Bytes()
}

func jpegHeader() []byte {
	return append([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00},
		0xff, 0xdb, 0x00, 0x43, 0x00)
}

func webpHeader() []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(26))
	b.WriteString("WEBPVP8 ")
	_ = binary.Write(&b, binary.LittleEndian, uint32(14))
	b.Write([]byte{0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x34, 0x25})
	return b.Bytes()
}

func TestSniffAllowed(t *testing.T) {
	cases := []struct {
		name string
		head []byte
		want string
	}{
		{"png", pngHeader(), "image/png"},
		{"apng", apngHeader(), "image/png"},
		{"jpeg", jpegHeader(), "image/jpeg"},
		{"gif89a", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04"), "image/gif"},
		{"gif87a", []byte("GIF87a\x01\x00\x01\x00\x00\x00\x00,"), "image/gif"},
		{"webp", webpHeader(), "image/webp"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "application/pdf"},
		{"pdf with BOM", []byte("\xef\xbb\xbf%PDF-1.4\n"), "application/pdf"},
		{"text", []byte("Hello,\nmy order #1234 did not arrive.\n"), "text/plain"},
		{"utf-8 text", []byte("Grüße aus Köln – 日本語もOK\n"), "text/plain"},
		// Markup only counts when it starts the file, as in browsers' own
		// sniffing; served as text/plain this is inert.
		{"text mentioning script", []byte("hi, the page shows <script>alert(1)</script>\n"), "text/plain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, ok := Sniff(c.head)
			if ct != c.want || !ok {
				t.Fatalf("Sniff = %q, %v; want %q, true", ct, ok, c.want)
			}
		})
	}
}

func TestSniffRefused(t *testing.T) {
	elf := append([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0}, make([]byte, 44)...)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 48)...)
	copy(exe[0x3c:], []byte{0x40, 0, 0, 0})
	exe = append(exe, []byte("PE\x00\x00\x4c\x01")...)
	zip := []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00a.txt")

	cases := []struct {
		name string
		head []byte
		// The exact type pins the detection, so a mimetype upgrade that changes
		// how any of these is classified gets looked at, not waved through.
		want string
	}{
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><script>alert(1)</script></svg>`), "image/svg+xml"},
		{"svg with xml declaration", []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml"},
		{"html", []byte("<!DOCTYPE html>\n<html><body>hi</body></html>"), "text/html"},
		{"html after whitespace", []byte("  \r\n\t<html><body onload=alert(1)>"), "text/html"},
		{"html uppercase", []byte("<HTML><BODY>"), "text/html"},
		{"script", []byte("<script>alert(document.cookie)</script>"), "text/html"},
		{"iframe", []byte(`<iframe src="https://evil.example">`), "text/html"},
		{"xml", []byte(`<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>`), "text/xml"},
		{"html with pdf marker", []byte("<html><!-- %PDF-1.4 --><script>alert(1)</script></html>"), "application/octet-stream"},
		{"text with pdf marker", []byte("hello %PDF-1.4 not really a pdf"), "application/octet-stream"},
		{"php", []byte("<?php system($_GET['c']); ?>"), "text/x-php"},
		{"shell script", []byte("#!/bin/sh\nrm -rf ~\n"), "text/x-shellscript"},
		{"python script", []byte("#!/usr/bin/env python3\nimport os\n"), "text/x-python"},
		{"node script", []byte("#!/usr/bin/env node\nrequire('child_process')\n"), "text/javascript"},
		{"json", []byte(`{"a": [1, 2, 3]}`), "application/json"},
		{"zip", zip, "application/zip"},
		{"gzip", []byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03}, "application/gzip"},
		{"rar", []byte("Rar!\x1a\x07\x01\x00"), "application/x-rar-compressed"},
		{"7z", []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04}, "application/x-7z-compressed"},
		{"elf", elf, "application/x-executable"},
		{"windows exe", exe, "application/vnd.microsoft.portable-executable"},
		{"binary junk", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x10}, "application/octet-stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct, ok := Sniff(c.head)
			if ok || ct != c.want {
				t.Fatalf("Sniff = %q, %v; want %q, false", ct, ok, c.want)
			}
		})
	}
}

// Only content counts: Sniff sees bytes only, so HTML uploaded as
// "cat.png" with Content-Type image/png is still HTML.
func TestSniffIgnoresClaimedType(t *testing.T) {
	body := []byte("<html><script>alert(1)</script></html>")
	if ct, ok := Sniff(body); ok || ct != "text/html" {
		t.Fatalf("Sniff = %q, %v; want text/html, false", ct, ok)
	}
}

func TestSniffLongInput(t *testing.T) {
	head := append(pngHeader(), bytes.Repeat([]byte{0}, 10*SniffLen)...)
	if ct, ok := Sniff(head); ct != "image/png" || !ok {
		t.Fatalf("Sniff = %q, %v", ct, ok)
	}
	text := []byte(strings.Repeat("plain words ", 2*SniffLen))
	if ct, ok := Sniff(text); ct != "text/plain" || !ok {
		t.Fatalf("Sniff = %q, %v", ct, ok)
	}
}
