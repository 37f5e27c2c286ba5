/* On a partner's page: sizes each Countersign form iframe (marked data-countersign-embed) to the height
   its page reports with postMessage. Messages from any other window or origin are ignored. */
(function () {
  "use strict";
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "countersign:height" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe[data-countersign-embed]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      var origin;
      try { origin = new URL(frame.src, document.baseURI).origin; } catch (e) { continue; }
      if (frame.contentWindow === event.source && origin === event.origin) {
        frame.style.height = Math.max(120, Math.min(5000, Math.ceil(data.height))) + "px";
      }
    }
  });
})();
