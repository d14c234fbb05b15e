/**
 * Model geometries: {@link ai.aim4j.model.config.AimConfig} (ml-aim's key names, the released
 * presets), {@link ai.aim4j.model.config.PretrainConfig} (a trunk plus the pixel head), and the
 * config a checkpoint's shapes imply.
 */
package ai.aim4j.model.config;
