/** The web console's entry (SPEC §16). */
document.body.append('Jobs console');
