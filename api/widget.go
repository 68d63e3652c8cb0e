package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/ratelimit"
	"github.com/switchboardhq/switchboard/service"
)

// widgetHandlers serve the chat widget (public key, CORS-checked).
type widgetHandlers struct {
	svc   *service.Widget
	files *service.Files
	// perConv limits messages and uploads into one conversation.
	perConv *ratelimit.Keyed
}

// caller is who posts: a browser with the conversation's token, or a
// server with the org's secret key (which needs none).
func caller(c *gin.Context) service.WidgetCaller {
	return service.WidgetCaller{Token: c.GetHeader(HeaderConversationToken), Trusted: principal(c).KeyKind == models.KeyKindSecret}
}

// limitConversation spends one token of the conversation's bucket.
func (s widgetHandlers) limitConversation(c *gin.Context, convID string) error {
	if convID == "" || s.perConv == nil {
		return nil
	}
	if ok, wait := s.perConv.Allow(principal(c).OrgID + "/" + convID); !ok {
		return rateLimited(c, wait, "too many messages in this conversation; slow down")
	}
	return nil
}

// rateLimited is the 429 answer with a whole-second Retry-After.
func rateLimited(c *gin.Context, wait time.Duration, msg string) error {
	secs := int((wait + time.Second - 1) / time.Second)
	c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: msg}
}

// postWidgetMessage answers 201 with the stored message and, when the
// org's chat backend answered within its timeout, the bot's reply (a
// repeated message_id answers 200 with the same message and reply).
// A customer lookup it starts runs in the background.
func (s widgetHandlers) postWidgetMessage(c *gin.Context) error {
	var in service.WidgetMessageInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.limitConversation(c, in.ConversationID); err != nil {
		return err
	}
	if in.Metadata != nil && in.Metadata.UserAgent == "" {
		in.Metadata.UserAgent = clipUA(c.Request.UserAgent())
	}
	res, err := s.svc.PostWidgetMessage(c.Request.Context(), principal(c).OrgID, caller(c), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	c.JSON(status, res)
	return nil
}

func clipUA(ua string) string {
	if len(ua) > 512 || !storableText(ua) {
		return ""
	}
	return ua
}

// fileView is an upload as the widget sees it.
type fileView struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Name           string    `json:"name"`
	ContentType    string    `json:"content_type"`
	Size           int64     `json:"size"`
	CreatedAt      time.Time `json:"created_at"`
}

// uploadFile takes one multipart file (field "file") into a conversation
// (field "conversation_id").
func (s widgetHandlers) uploadFile(c *gin.Context) error {
	convID := c.Request.FormValue("conversation_id")
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large", Message: "the upload is larger than the limit"}
		}
		return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: `expected a multipart/form-data body with a "file" part and a "conversation_id" field`}
	}
	if err := s.limitConversation(c, convID); err != nil {
		return err
	}
	f, err := fh.Open()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "the file part could not be read"}
	}
	defer f.Close()
	file, err := s.files.Upload(c.Request.Context(), principal(c).OrgID, caller(c), convID, fh.Filename, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, fileView{ID: file.ID, ConversationID: file.ConversationID, Name: file.Name,
		ContentType: file.ContentType, Size: file.Size, CreatedAt: file.CreatedAt})
	return nil
}

// downloadFile serves a signed file link (open route: the signature is
// the credential). The stored, sniffed type is sent with nosniff, and
// everything but images as an attachment, so an upload can never run as
// a page on the API's origin.
func (s widgetHandlers) downloadFile(c *gin.Context) error {
	f, rc, err := s.files.Open(c.Request.Context(), c.Param("id"), c.Request.URL.Query())
	if err != nil {
		return err
	}
	defer rc.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=60")
	disp := "attachment"
	if isImage(f.ContentType) {
		disp = "inline"
	}
	h.Set("Content-Disposition", contentDisposition(disp, f.Name))
	http.ServeContent(c.Writer, c.Request, "", f.CreatedAt, rc)
	return nil
}

func isImage(ct string) bool { return strings.HasPrefix(ct, "image/") }

// contentDisposition quotes the stored (already cleaned) name safely.
func contentDisposition(kind, name string) string {
	if v := mime.FormatMediaType(kind, map[string]string{"filename": name}); v != "" {
		return v
	}
	return kind
}
