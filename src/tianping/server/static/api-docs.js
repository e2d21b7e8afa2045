// Starts Swagger UI on /api/docs from the assets served at /api/docs/assets (fastapi-offline's
// copy of swagger-ui-dist): no CDN, no inline script, no validator badge (it would call out).
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
