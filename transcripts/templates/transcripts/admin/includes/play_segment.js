{% comment %}Included in a page's script, after DOMContentLoaded: the segment editor and Name speakers share it.{% endcomment %}
            // "Play" plays the audio from the segment's start to its end, as the times in its row say now.
            (() => {
                const audio = document.querySelector("[data-transcript-audio]");
                if (!audio) return;
                const seconds = (value) => {
                    const parts = value.trim().replace(",", ".").split(":").map(Number);
                    if (!parts.length || parts.some(Number.isNaN)) return null;
                    return parts.reduce((total, part) => total * 60 + part, 0);
                };
                let stopAt = null;
                audio.addEventListener("timeupdate", () => {
                    if (stopAt !== null && audio.currentTime >= stopAt) { audio.pause(); stopAt = null; }
                });
                document.querySelectorAll("[data-play-segment]").forEach((button) => {
                    button.addEventListener("click", () => {
                        const row = button.closest("[data-segment]");
                        const [start, end] = [...row.querySelectorAll("input[name$='-start'], input[name$='-end']")]
                            .map((input) => seconds(input.value));
                        if (start === null) return;
                        audio.currentTime = start;
                        stopAt = end !== null && end > start ? end : null;
                        audio.play();
                    });
                });
            })();
