package aui

import (
	"net/http"
	"strconv"

	"examhall/httpapi"
)

// rawJSON is a successful envelope's head and its data, already encoded as
// JSON (see rawBuffer); the adapter ends and writes it as is. userInfo and userList use it: their signed URLs are long,
// and encoding/json's escaping of every byte was most of userList's cost.
type rawJSON []byte

// appendUserInfo appends d as the JSON object userInfoData marshals to.
func appendUserInfo(dst []byte, d *userInfoData) []byte {
	dst = append(dst, `{"id":`...)
	dst = httpapi.AppendJSONString(dst, d.ID)
	dst = append(dst, `,"name":`...)
	dst = httpapi.AppendJSONString(dst, d.Name)
	dst = append(dst, `,"userStatus":`...)
	dst = strconv.AppendInt(dst, int64(d.UserStatus), 10)
	for _, f := range []struct{ key, v string }{
		{`,"rtcPushUrl":`, d.RTCPushURL},
		{`,"rtcPullUrl":`, d.RTCPullURL},
		{`,"rtsPullUrl":`, d.RTSPullURL},
		{`,"pcRtcPushUrl":`, d.PCRTCPushURL},
		{`,"pcRtcPullUrl":`, d.PCRTCPullURL},
		{`,"pcRtsPullUrl":`, d.PCRTSPullURL},
	} {
		dst = append(dst, f.key...)
		dst = httpapi.AppendJSONString(dst, f.v)
	}
	return append(dst, '}')
}

// envelopeHead starts a successful envelope; data and envelopeTail follow.
const envelopeHead = `{"success":true,"errorCode":"","errorMsg":"","data":`
const envelopeTail = "}\n"

// rawBuffer returns a buffer for n bytes of data that already holds the
// envelope's head, so writeRaw sends it without copying.
func rawBuffer(n int) []byte {
	return append(make([]byte, 0, len(envelopeHead)+n+len(envelopeTail)), envelopeHead...)
}

// writeRaw writes a successful envelope around data, which rawBuffer made.
func writeRaw(w http.ResponseWriter, data rawJSON) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(append(data, envelopeTail...))
}
