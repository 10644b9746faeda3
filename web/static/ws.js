// The live room's WebSocket client (docs/websocket.md), shared by the
// candidate's and the invigilator's pages: it says hello with the last
// event it has, so that a reconnect replays what was missed; sends a
// heartbeat every 10 s; reconnects with backoff; and answers requests
// (signals) through their ack or error.
(function () {
  "use strict";
  window.ExamhallWS = function (opts) {
    var ws = null, lastSeq = opts.lastSeq || 0, backoff = 1000, hb = null, nextId = 1, pending = {}, stopped = false;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?" + opts.query;
    function state(s) { if (opts.onState) opts.onState(s); }
    function open() {
      state("connecting");
      ws = new WebSocket(url);
      ws.onopen = function () {
        ws.send(JSON.stringify({ type: lastSeq ? "resume" : "hello", v: 1, data: { lastSeq: lastSeq } }));
      };
      ws.onmessage = function (m) {
        var msg;
        try { msg = JSON.parse(m.data); } catch (e) { return; }
        if (msg.type === "hello") {
          backoff = 1000;
          state("open");
          clearInterval(hb);
          hb = setInterval(function () { send({ type: "heartbeat", v: 1 }); }, ((msg.data && msg.data.heartbeatSeconds) || 10) * 1000);
          return;
        }
        if ((msg.type === "ack" || msg.type === "error") && msg.id && pending[msg.id]) {
          var p = pending[msg.id];
          delete pending[msg.id];
          if (msg.type === "ack") p.resolve(msg.data); else p.reject(msg.data);
          return;
        }
        if (msg.seq) {
          if (msg.seq <= lastSeq) return; // seen already
          lastSeq = msg.seq;
        }
        if (opts.onEvent) opts.onEvent(msg);
      };
      ws.onclose = function (e) {
        clearInterval(hb);
        ws = null;
        if (stopped) return;
        if (e.code === 1008 || e.code === 4002 || e.code === 4401 || e.code === 4403) { state("closed:" + e.code); if (e.code !== 4002) return; lastSeq = opts.lastSeq || 0; }
        state("reconnecting");
        setTimeout(open, backoff + Math.random() * 500);
        backoff = Math.min(backoff * 2, 30000);
      };
    }
    function send(m) {
      if (!ws || ws.readyState !== 1) return false;
      ws.send(JSON.stringify(m));
      return true;
    }
    open();
    return {
      // request sends a message that the server acks; it rejects at once
      // when the socket is not open (the caller falls back), or after 10 s.
      request: function (type, data) {
        var id = "r" + (nextId++);
        return new Promise(function (resolve, reject) {
          if (!ws || ws.readyState !== 1) return reject({ code: "offline" });
          pending[id] = { resolve: resolve, reject: reject };
          send({ type: type, v: 1, id: id, data: data });
          setTimeout(function () { if (pending[id]) { delete pending[id]; reject({ code: "timeout" }); } }, 10000);
        });
      },
      open: function () { return !!ws && ws.readyState === 1; },
      stop: function () { stopped = true; if (ws) ws.close(1000); }
    };
  };
})();
