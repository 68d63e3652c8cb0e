package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/switchboardhq/switchboard/filestore"
	"github.com/switchboardhq/switchboard/models"
)

// filesStore is what Files reads and writes.
type filesStore interface {
	GetConversation(ctx context.Context, orgID, id string) (models.Conversation, error)
	CreateFile(ctx context.Context, f *models.ChatFile) error
	GetFile(ctx context.Context, id string) (models.ChatFile, error)
	CountFiles(ctx context.Context, convID string) (int64, error)
}

// FileSettings govern visitor uploads.
type FileSettings struct {
	MaxBytes           int64
	MaxPerConversation int
	URLTTL             time.Duration
	PublicURL          string // the API's external base URL, for signed links
	SigningKey         []byte
}

// Files owns visitor uploads: stored behind filestore.Storage, typed by
// their content (never by name or header) and handed to the chat backend
// as short-lived signed URLs.
type Files struct {
	st      filesStore
	storage filestore.Storage
	signer  filestore.Signer
	set     FileSettings
	widget  *Widget // conversation access checks
}

// ErrUnsupportedFile refuses an upload whose content is not allowed.
var ErrUnsupportedFile = &models.ValidationError{Code: "unsupported_file_type", Field: "file",
	Message: "only PNG, JPEG, GIF and WebP images, PDF and plain text files are accepted (the type is read from the content)"}

// Upload stores a visitor's file in their conversation.
func (s *Files) Upload(ctx context.Context, orgID string, caller WidgetCaller, convID, name string, r io.Reader) (models.ChatFile, error) {
	if convID == "" {
		return models.ChatFile{}, models.Invalid("conversation_id", "is required")
	}
	if _, err := s.widget.conversation(ctx, orgID, convID, caller); err != nil {
		return models.ChatFile{}, err
	}
	n, err := s.st.CountFiles(ctx, convID)
	if err != nil {
		return models.ChatFile{}, err
	}
	if int(n) >= s.set.MaxPerConversation {
		return models.ChatFile{}, &models.ConflictError{Message: "this conversation has reached its file limit"}
	}
	head := make([]byte, filestore.SniffLen)
	k, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return models.ChatFile{}, models.Invalid("file", "could not be read")
	}
	head = head[:k]
	if k == 0 {
		return models.ChatFile{}, models.Invalid("file", "is empty")
	}
	ctype, ok := filestore.Sniff(head)
	if !ok {
		return models.ChatFile{}, ErrUnsupportedFile
	}
	f := models.ChatFile{ID: models.NewID("file"), OrgID: orgID, ConversationID: convID, Name: filestore.SafeName(name), ContentType: ctype}
	size, err := s.storage.Put(ctx, f.ID, io.MultiReader(bytes.NewReader(head), r), s.set.MaxBytes)
	switch {
	case errors.Is(err, filestore.ErrTooLarge):
		return models.ChatFile{}, &models.ValidationError{Code: "file_too_large", Field: "file", Message: "the file is larger than the upload limit"}
	case err != nil:
		return models.ChatFile{}, err
	}
	f.Size = size
	if err := s.st.CreateFile(ctx, &f); err != nil {
		_ = s.storage.Delete(context.WithoutCancel(ctx), f.ID)
		return models.ChatFile{}, err
	}
	return f, nil
}

// URL is a file's signed link, valid for URLTTL.
func (s *Files) URL(fileID string) string {
	return s.set.PublicURL + "/v1/files/" + url.PathEscape(fileID) + "?" + s.signer.Query(fileID, s.set.URLTTL).Encode()
}

// ErrLinkExpired answers an expired or altered file link.
var ErrLinkExpired = &models.ForbiddenError{Message: "this file link is invalid or has expired"}

// Open checks a signed link and opens its file.
func (s *Files) Open(ctx context.Context, fileID string, q url.Values) (models.ChatFile, io.ReadSeekCloser, error) {
	if err := s.signer.Verify(fileID, q); err != nil {
		return models.ChatFile{}, nil, ErrLinkExpired
	}
	f, err := s.st.GetFile(ctx, fileID)
	if err != nil {
		return models.ChatFile{}, nil, err
	}
	rc, _, err := s.storage.Open(ctx, f.ID)
	if errors.Is(err, filestore.ErrNotFound) {
		return models.ChatFile{}, nil, models.ErrNotFound
	}
	if err != nil {
		return models.ChatFile{}, nil, err
	}
	return f, rc, nil
}
