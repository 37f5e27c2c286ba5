/* Inside the embeddable form's iframe: tell the page around it how tall the form is, so it can size the
   frame (embed-host.js on that page listens). Only a number crosses: nothing the signer typed. */
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var body = document.body;
    var style = getComputedStyle(body);
    var height = Math.ceil(body.getBoundingClientRect().height + parseFloat(style.marginTop) +
      parseFloat(style.marginBottom));
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "countersign:height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
  window.addEventListener("load", report);
  report();
})();
