// The browser client of the demo (the original's client.js): connect to the test service,
// say "Hi there", log every message, and after ten messages say "goodbye".
//
// Served by the demo server, it connects back to the host and port it came from; opened
// from the file system, to ws://localhost:8081/test. Query parameters:
//   ?protocol=subprotocol   offer that subprotocol
//   ?url=ws://host:port/p   connect there instead
(function () {
  "use strict";

  var log = document.getElementById("log");
  var status = document.getElementById("status");
  var params = new URLSearchParams(window.location.search);

  // Every event goes to the console and to the page, one <li> each.
  function show(kind, text) {
    console.log("[" + kind + "] " + text);
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    log.appendChild(item);
  }

  function setStatus(kind, text) {
    status.className = kind;
    status.textContent = text;
    document.body.dataset.state = kind;
  }

  function serviceUrl() {
    if (params.get("url")) {
      return params.get("url");
    }
    var loc = window.location;
    if (loc.protocol === "http:" || loc.protocol === "https:") {
      return (loc.protocol === "https:" ? "wss://" : "ws://") + loc.host + "/test";
    }
    return "ws://localhost:8081/test";
  }

  var url = serviceUrl();
  var protocol = params.get("protocol");
  var received = 0;

  setStatus("connecting", "Connecting to " + url + (protocol ? " offering subprotocol \"" + protocol + "\"" : "") + "…");
  show("info", "Connecting to " + url + (protocol ? " (offering subprotocol \"" + protocol + "\")" : ""));

  var ws = protocol ? new WebSocket(url, protocol) : new WebSocket(url);

  ws.onopen = function () {
    setStatus("open", "Connected to " + url + " (subprotocol: " + (ws.protocol || "none") + ")");
    show("open", "Connected (subprotocol: " + (ws.protocol || "none") + ")");
    ws.send("Hi there");
    show("sent", "Sent: Hi there");
  };

  ws.onmessage = function (event) {
    received += 1;
    show("received", "Received #" + received + ": " + event.data);
    if (received === 10) {
      ws.send("goodbye");
      show("sent", "Sent: goodbye");
    }
  };

  ws.onerror = function () {
    setStatus("error", "WebSocket error (is the server running at " + url + "?)");
    show("error", "WebSocket error");
  };

  ws.onclose = function (event) {
    var text = "Closed: code " + event.code + (event.reason ? ", reason \"" + event.reason + "\"" : "") +
      (event.wasClean ? " (clean)" : " (not clean)");
    setStatus("closed", text + " after " + received + " messages");
    show("close", text);
  };
})();
