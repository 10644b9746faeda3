package aui

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// rawJSON is answer data already encoded as JSON; the adapter writes it into
// the envelope as is. userInfo and userList use it: their signed URLs are long,
// and encoding/json's escaping of every byte was most of userList's cost.
type rawJSON []byte

// appendString appends s as a JSON string. Plain ASCII (every signed URL and
// ID) is copied; anything else goes through encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendUserInfo appends d as the JSON object userInfoData marshals to.
func appendUserInfo(dst []byte, d *userInfoData) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, d.ID)
	dst = append(dst, `,"name":`...)
	dst = appendString(dst, d.Name)
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
		dst = appendString(dst, f.v)
	}
	return append(dst, '}')
}

// writeRaw writes a successful envelope around data.
func writeRaw(w http.ResponseWriter, data rawJSON) {
	buf := make([]byte, 0, len(data)+64)
	buf = append(buf, `{"success":true,"errorCode":"","errorMsg":"","data":`...)
	buf = append(buf, data...)
	buf = append(buf, "}\n"...)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(buf)
}
